trigger AepCaseTrigger on Case(after insert) {
  System.enqueueJob(new AepCaseEvents(new List<Id>(Trigger.newMap.keySet())));
}
