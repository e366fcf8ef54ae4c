"""One thin module per remote system; library types never leave these modules."""
