/* raven-events.c: the event bus, a list of (mask, callback) pairs.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-events.h"

typedef struct {
	guint mask;
	RavenEventCallback callback;
	gpointer data;
} Subscriber;

struct RavenEventBus {
	GArray *subscribers; /* Subscriber */
};

RavenEventBus *
raven_event_bus_new(void)
{
	RavenEventBus *bus = g_new0(RavenEventBus, 1);

	bus->subscribers = g_array_new(FALSE, FALSE, sizeof(Subscriber));
	return bus;
}

void
raven_event_bus_free(RavenEventBus *bus)
{
	if (bus == NULL)
		return;
	g_array_unref(bus->subscribers);
	g_free(bus);
}

void
raven_event_bus_subscribe(RavenEventBus *bus,
                          guint mask,
                          RavenEventCallback callback,
                          gpointer data)
{
	Subscriber s = { mask, callback, data };

	g_return_if_fail(callback != NULL);
	g_array_append_val(bus->subscribers, s);
}

guint
raven_event_bus_publish(RavenEventBus *bus, const RavenEvent *event)
{
	guint called = 0;

	g_return_val_if_fail(event->size >= sizeof(gsize) * 2, 0);
	g_return_val_if_fail(event->type > 0 && event->type < RAVEN_EVENT_LAST,
	                     0);
	g_debug("event %s user=%s folder=%s",
	        raven_event_type_name(event->type),
	        event->user ? event->user : "-",
	        event->folder ? event->folder : "-");
	/* A subscriber may subscribe more; index, do not hold a pointer. */
	for (guint i = 0; i < bus->subscribers->len; i++) {
		Subscriber s = g_array_index(bus->subscribers, Subscriber, i);

		if (s.mask & RAVEN_EVENT_MASK(event->type)) {
			s.callback(event, s.data);
			called++;
		}
	}
	return called;
}

const char *
raven_event_type_name(RavenEventType type)
{
	switch (type) {
	case RAVEN_EVENT_MESSAGE_RECEIVED:
		return "message.received";
	case RAVEN_EVENT_MESSAGE_DELIVERED:
		return "message.delivered";
	case RAVEN_EVENT_MESSAGE_MOVED:
		return "message.moved";
	case RAVEN_EVENT_MESSAGE_DELETED:
		return "message.deleted";
	case RAVEN_EVENT_DELIVERY_FAILED:
		return "delivery.failed";
	case RAVEN_EVENT_USER_LOGGED_IN:
		return "user.logged_in";
	case RAVEN_EVENT_DELIVERY_DEFERRED:
		return "delivery.deferred";
	case RAVEN_EVENT_LAST:
		break;
	}
	return "unknown";
}
