/* raven-delivery.c: local delivery of spooled messages.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-delivery.h"

#include <string.h>

struct RavenDelivery {
	RavenSpool *spool;
	RavenRegistry *registry;
	RavenUserDb *users;
	RavenEventBus *events;
	GThreadPool *pool;
	GMainContext *context;
	GHashTable *pending; /* queue id -> retry timer id, 0 while running */
	gboolean stopping;
};

typedef enum {
	OUTCOME_DELIVERED,
	OUTCOME_DISCARDED,
	OUTCOME_FAILED,   /* for good: bounce */
	OUTCOME_DEFERRED, /* try again later */
} Outcome;

typedef struct {
	char *address;
	char *user;   /* nullable */
	char *folder; /* nullable */
	guint32 uid;
	Outcome outcome;
	char *reason; /* "5.2.2 ..." for failures, text for deferrals */
} Result;

typedef struct {
	RavenDelivery *delivery;
	char *queue_id;
	char *sender;
	GArray *results; /* Result */
} Job;

static void
result_clear(gpointer p)
{
	Result *r = p;

	g_free(r->address);
	g_free(r->user);
	g_free(r->folder);
	g_free(r->reason);
}

static void
job_free(Job *job)
{
	g_free(job->queue_id);
	g_free(job->sender);
	if (job->results)
		g_array_unref(job->results);
	g_free(job);
}

/* ---- deciding (worker thread) */

static const RavenRegistration *
first_storage(RavenDelivery *d)
{
	GArray *list = raven_registry_list(d->registry, RAVEN_KIND_STORAGE);

	return list->len ? &g_array_index(list, RavenRegistration, 0) : NULL;
}

/* Apply what the agents said; FALSE when the message is to be dropped. */
static gboolean
apply_actions(GArray *actions, char **folder)
{
	gboolean keep = TRUE;

	for (guint i = 0; i < actions->len; i++) {
		RavenAction *a = &g_array_index(actions, RavenAction, i);

		if (a->type == RAVEN_ACTION_FILE_INTO && a->argument) {
			g_free(*folder);
			*folder = g_strdup(a->argument);
		} else if (a->type == RAVEN_ACTION_DISCARD) {
			keep = FALSE;
		} else {
			g_warning("delivery: action %d is not supported yet",
			          a->type);
		}
		g_free(a->argument);
	}
	return keep;
}

/* The folder for `user`: the agents' choice, else Junk or INBOX.  A failing
 * agent never loses mail: its error is logged and INBOX is used. */
static gboolean
choose_folder(RavenDelivery *d,
              const RavenSpoolEntry *entry,
              const char *user,
              char **folder)
{
	GArray *agents
		= raven_registry_list(d->registry, RAVEN_KIND_DELIVERY_AGENT);
	RavenDeliveryContext ctx = {
		sizeof ctx,     entry->envelope.sender, user,
		entry->message, entry->envelope.junk,   entry->envelope.score,
	};
	gboolean keep = TRUE;

	*folder = g_strdup(entry->envelope.junk ? "Junk" : "INBOX");
	for (guint i = 0; i < agents->len && keep; i++) {
		RavenRegistration *r
			= &g_array_index(agents, RavenRegistration, i);
		const RavenDeliveryAgent *agent = r->vtable;
		g_autoptr(GArray) actions
			= g_array_new(FALSE, TRUE, sizeof(RavenAction));
		g_autoptr(GError) error = NULL;

		if (!agent->decide(&ctx, actions, r->data, &error)) {
			g_warning("delivery: agent %s failed for %s, "
			          "delivering to INBOX: %s",
			          agent->name, user,
			          error ? error->message : "no reason given");
			g_free(*folder);
			*folder = g_strdup("INBOX");
			return TRUE;
		}
		keep = apply_actions(actions, folder);
	}
	return keep;
}

/* Return-Path and Delivered-To in front of the spooled message, then the
 * storage layers (encryption, say) in config order. */
static GBytes *
prepare_message(RavenDelivery *d,
                const RavenSpoolEntry *entry,
                const char *user,
                const char *address,
                GError **error)
{
	GString *head = g_string_new(NULL);
	GArray *layers
		= raven_registry_list(d->registry, RAVEN_KIND_STORAGE_LAYER);
	GByteArray *joined;
	GBytes *message;

	g_string_append_printf(head,
	                       "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
	                       entry->envelope.sender, address);
	joined = g_byte_array_sized_new(head->len
	                                + g_bytes_get_size(entry->message));
	g_byte_array_append(joined, (const guint8 *)head->str, head->len);
	g_byte_array_append(joined, g_bytes_get_data(entry->message, NULL),
	                    g_bytes_get_size(entry->message));
	g_string_free(head, TRUE);
	message = g_byte_array_free_to_bytes(joined);
	for (guint i = 0; i < layers->len && message; i++) {
		RavenRegistration *r
			= &g_array_index(layers, RavenRegistration, i);
		const RavenStorageLayer *layer = r->vtable;
		GBytes *next;

		if (layer->on_append == NULL)
			continue;
		next = layer->on_append(user, message, r->data, error);
		g_bytes_unref(message);
		message = next;
	}
	return message;
}

static void
store(RavenDelivery *d,
      const RavenSpoolEntry *entry,
      const char *queue_id,
      guint index,
      Result *res)
{
	const RavenRegistration *storage = first_storage(d);
	const RavenStorage *vt = storage ? storage->vtable : NULL;
	g_autofree char *key = g_strdup_printf("%s-%u", queue_id, index);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) message = NULL;

	if (vt == NULL || vt->deliver == NULL) {
		res->outcome = OUTCOME_DEFERRED;
		res->reason = g_strdup("no storage plugin is configured");
		return;
	}
	message = prepare_message(d, entry, res->user, res->address, &error);
	if (message)
		res->uid = vt->deliver(res->user, res->folder, message, key,
		                       storage->data, &error);
	if (res->uid != 0) {
		res->outcome = OUTCOME_DELIVERED;
	} else if (g_error_matches(error, RAVEN_STORAGE_ERROR,
	                           RAVEN_STORAGE_ERROR_QUOTA)) {
		res->outcome = OUTCOME_FAILED;
		res->reason = g_strdup_printf("5.2.2 mailbox full: %s",
		                              error->message);
	} else {
		res->outcome = OUTCOME_DEFERRED;
		res->reason = g_strdup(error ? error->message
		                             : "the storage failed");
	}
}

static void
deliver_one(RavenDelivery *d,
            const RavenSpoolEntry *entry,
            const char *queue_id,
            guint index,
            Result *res)
{
	res->address = g_strdup(entry->envelope.recipients[index].address);
	res->user = raven_user_db_resolve(d->users, res->address);
	if (res->user == NULL) {
		res->outcome = OUTCOME_FAILED;
		res->reason = g_strdup("5.1.1 the address does not exist");
		return;
	}
	if (!choose_folder(d, entry, res->user, &res->folder)) {
		res->outcome = OUTCOME_DISCARDED;
		return;
	}
	store(d, entry, queue_id, index, res);
}

static gboolean job_finished(gpointer data);

static void
finish_on_loop(RavenDelivery *d, Job *job)
{
	GSource *idle = g_idle_source_new();

	g_source_set_priority(idle, G_PRIORITY_DEFAULT);
	g_source_set_callback(idle, job_finished, job, NULL);
	g_source_attach(idle, d->context);
	g_source_unref(idle);
}

static void
job_run(gpointer data, gpointer pool_data)
{
	Job *job = data;
	RavenDelivery *d = job->delivery;
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenSpoolEntry) entry
		= raven_spool_read(d->spool, job->queue_id, &error);

	if (entry == NULL) {
		g_warning("delivery: cannot read %s: %s", job->queue_id,
		          error->message);
	} else {
		job->sender = g_strdup(entry->envelope.sender);
		job->results = g_array_sized_new(FALSE, TRUE, sizeof(Result),
		                                 entry->envelope.n_recipients);
		g_array_set_clear_func(job->results, result_clear);
		g_array_set_size(job->results, entry->envelope.n_recipients);
		for (guint i = 0; i < entry->envelope.n_recipients; i++)
			deliver_one(d, entry, job->queue_id, i,
			            &g_array_index(job->results, Result, i));
	}
	/* Not g_main_context_invoke: before the loop runs it would call
	 * job_finished right here, on this worker thread. */
	finish_on_loop(d, job);
}

/* ---- the outcome (main loop) */

static void
publish(RavenDelivery *d, const Job *job, const Result *r)
{
	RavenEvent event = {
		.size = sizeof event,
		.user = r->user,
		.folder = r->folder,
		.uid = r->uid,
		.queue_id = job->queue_id,
		.sender = job->sender,
		.recipient = r->address,
		.reason = r->reason,
	};

	switch (r->outcome) {
	case OUTCOME_DELIVERED:
		event.type = RAVEN_EVENT_MESSAGE_DELIVERED;
		g_message("%s: delivered to %s in %s (uid %u)", job->queue_id,
		          r->user, r->folder, r->uid);
		break;
	case OUTCOME_DISCARDED:
		g_message("%s: discarded for %s", job->queue_id, r->address);
		return;
	case OUTCOME_FAILED:
		event.type = RAVEN_EVENT_DELIVERY_FAILED;
		g_message("%s: delivery to %s failed: %s", job->queue_id,
		          r->address, r->reason);
		break;
	case OUTCOME_DEFERRED:
		event.type = RAVEN_EVENT_DELIVERY_DEFERRED;
		g_warning("%s: delivery to %s deferred: %s", job->queue_id,
		          r->address, r->reason);
		break;
	}
	raven_event_bus_publish(d->events, &event);
}

typedef struct {
	RavenDelivery *delivery;
	char *queue_id;
} Retry;

static gboolean
retry_now(gpointer data)
{
	Retry *retry = data;

	g_hash_table_remove(retry->delivery->pending, retry->queue_id);
	raven_delivery_start(retry->delivery, retry->queue_id);
	return G_SOURCE_REMOVE;
}

static void
retry_free(gpointer data)
{
	Retry *retry = data;

	g_free(retry->queue_id);
	g_free(retry);
}

static void
schedule_retry(RavenDelivery *d, const char *queue_id)
{
	Retry *retry = g_new0(Retry, 1);
	guint id;

	retry->delivery = d;
	retry->queue_id = g_strdup(queue_id);
	id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT,
	                                RAVEN_DELIVERY_RETRY_SECONDS, retry_now,
	                                retry, retry_free);
	g_hash_table_insert(d->pending, g_strdup(queue_id),
	                    GUINT_TO_POINTER(id));
}

/* Every recipient settled: drop the entry, or keep the failures. */
static void
settle(RavenDelivery *d, const Job *job)
{
	GString *reasons = g_string_new(NULL);

	for (guint i = 0; i < job->results->len; i++) {
		const Result *r = &g_array_index(job->results, Result, i);

		if (r->outcome == OUTCOME_FAILED)
			g_string_append_printf(reasons, "%s %s\n", r->address,
			                       r->reason);
	}
	if (reasons->len > 0)
		raven_spool_fail(d->spool, job->queue_id, reasons->str);
	else
		raven_spool_remove(d->spool, job->queue_id);
	g_string_free(reasons, TRUE);
}

static gboolean
job_finished(gpointer data)
{
	Job *job = data;
	RavenDelivery *d = job->delivery;
	gboolean deferred = FALSE;

	g_hash_table_remove(d->pending, job->queue_id);
	for (guint i = 0; job->results && i < job->results->len; i++) {
		const Result *r = &g_array_index(job->results, Result, i);

		publish(d, job, r);
		deferred |= r->outcome == OUTCOME_DEFERRED;
	}
	if (job->results && !deferred)
		settle(d, job);
	else if (job->results && !d->stopping)
		schedule_retry(d, job->queue_id);
	job_free(job);
	return G_SOURCE_REMOVE;
}

/* ---- the service */

RavenDelivery *
raven_delivery_new(RavenSpool *spool,
                   RavenRegistry *registry,
                   RavenUserDb *users,
                   RavenEventBus *events)
{
	RavenDelivery *d = g_new0(RavenDelivery, 1);

	d->spool = spool;
	d->registry = registry;
	d->users = users;
	d->events = events;
	d->context = g_main_context_ref_thread_default();
	d->pending
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d->pool = g_thread_pool_new(job_run, d, RAVEN_DELIVERY_THREADS, FALSE,
	                            NULL);
	return d;
}

void
raven_delivery_free(RavenDelivery *d)
{
	GHashTableIter iter;
	gpointer timer;

	if (d == NULL)
		return;
	d->stopping = TRUE;
	g_thread_pool_free(d->pool, FALSE, TRUE);
	/* Settle what the workers finished: their results wait as idles. */
	while (g_main_context_iteration(d->context, FALSE))
		;
	g_hash_table_iter_init(&iter, d->pending);
	while (g_hash_table_iter_next(&iter, NULL, &timer)) {
		if (GPOINTER_TO_UINT(timer))
			g_source_remove(GPOINTER_TO_UINT(timer));
	}
	g_hash_table_unref(d->pending);
	g_main_context_unref(d->context);
	g_free(d);
}

void
raven_delivery_start(RavenDelivery *d, const char *queue_id)
{
	Job *job;

	if (d->stopping || g_hash_table_contains(d->pending, queue_id))
		return;
	job = g_new0(Job, 1);
	job->delivery = d;
	job->queue_id = g_strdup(queue_id);
	g_hash_table_insert(d->pending, g_strdup(queue_id),
	                    GUINT_TO_POINTER(0));
	g_thread_pool_push(d->pool, job, NULL);
}

guint
raven_delivery_pending(RavenDelivery *d)
{
	return g_hash_table_size(d->pending);
}
