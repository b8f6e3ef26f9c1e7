/* raven-events.h: the event bus: plugins publish and subscribe to events.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_EVENTS_H
#define RAVEN_EVENTS_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

typedef struct RavenEventBus RavenEventBus;

RavenEventBus *raven_event_bus_new(void);
void raven_event_bus_free(RavenEventBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenEventBus, raven_event_bus_free)

/* Call `callback` for every published event whose type is in `mask`. */
void raven_event_bus_subscribe(RavenEventBus *bus,
                               guint mask,
                               RavenEventCallback callback,
                               gpointer data);
/* Deliver `event` to the subscribers, in subscription order, now.  Main
 * loop only.  Returns how many were called. */
guint raven_event_bus_publish(RavenEventBus *bus, const RavenEvent *event);
/* "message.received" ... for logs. */
const char *raven_event_type_name(RavenEventType type);

G_END_DECLS

#endif /* RAVEN_EVENTS_H */
