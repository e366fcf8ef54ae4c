"""Pure domain logic: identity candidates, profile → card, write plans. No I/O, no clock."""
