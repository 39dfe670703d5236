"""Feeds: triggers fired by alarms (schedules) and Kafka topics, from registrations kept in the
database (``whisk.store.ports.FeedStore``). ``lifecycle`` handles the feed actions' events,
``service.FeedService`` runs the providers in each controller."""
