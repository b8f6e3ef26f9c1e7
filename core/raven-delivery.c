/* raven-delivery.c: the queue: delivery, retries, expiry and reports.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-delivery.h"

#include "raven-local-delivery.h"
#include "raven-queue-notes.h"
#include "raven-report.h"

#include <string.h>

struct RavenDelivery {
	RavenSpool *spool;
	RavenRegistry *registry;
	RavenUserDb *users;
	RavenEventBus *events;
	char *hostname;
	GMutex policy_lock; /* reload sets it while workers read it */
	RavenQueuePolicy policy;
	GThreadPool *pool;
	GMainContext *context;
	GHashTable *pending; /* queue id -> retry timer id, 0 while running */
	gboolean stopping;
};

/* One attempt at one spooled message. */
typedef struct {
	RavenDelivery *delivery;
	char *queue_id;
	char *sender;
	GStrv addresses;         /* of the recipients */
	GArray *results;         /* RavenDeliveryResult, one per recipient */
	GPtrArray *reports;      /* queue ids of the reports it spooled */
	gint64 next_try;         /* seconds; 0: every recipient is settled */
	RavenQueuePolicy policy; /* as it was when the attempt began */
} Job;

static void
job_free(Job *job)
{
	g_free(job->queue_id);
	g_free(job->sender);
	g_strfreev(job->addresses);
	if (job->results)
		g_array_unref(job->results);
	g_ptr_array_unref(job->reports);
	g_free(job);
}

static Job *
job_new(RavenDelivery *d, const char *queue_id)
{
	Job *job = g_new0(Job, 1);

	job->delivery = d;
	job->queue_id = g_strdup(queue_id);
	job->reports = g_ptr_array_new_with_free_func(g_free);
	return job;
}

/* Room for a result per recipient of `entry`, all RAVEN_OUTCOME_NONE. */
static void
job_add_recipients(Job *job, const RavenSpoolEntry *entry)
{
	guint n = entry->envelope.n_recipients;

	job->sender = g_strdup(entry->envelope.sender);
	job->addresses = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++)
		job->addresses[i]
			= g_strdup(entry->envelope.recipients[i].address);
	job->results = g_array_sized_new(FALSE, TRUE,
	                                 sizeof(RavenDeliveryResult), n);
	g_array_set_clear_func(job->results, raven_delivery_result_clear);
	g_array_set_size(job->results, n);
}

static gint64
now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static gint64
ms_to_seconds(guint64 ms)
{
	return (gint64)MIN(ms / 1000, (guint64)G_MAXINT32);
}

/* ---- remote recipients (worker thread) */

static const char *
domain_of(const char *address)
{
	const char *at = strrchr(address, '@');

	return at ? at + 1 : "";
}

static gboolean
is_local(RavenDelivery *d, const char *address)
{
	const char *domain = domain_of(address);

	return *domain == '\0'
	       || raven_user_db_domain_is_local(d->users, domain);
}

static void
no_transport(RavenDeliveryResult *res)
{
	res->outcome = RAVEN_OUTCOME_DEFERRED;
	res->status = g_strdup("4.3.5");
	res->diagnostic = g_strdup("no plugin sends mail to other servers "
	                           "(enable the smtp plugin)");
}

static void
take_transport_result(RavenTransportResult *from, RavenDeliveryResult *to)
{
	switch (from->outcome) {
	case RAVEN_TRANSPORT_SENT:
		to->outcome = RAVEN_OUTCOME_DELIVERED;
		break;
	case RAVEN_TRANSPORT_FAILED:
		to->outcome = RAVEN_OUTCOME_FAILED;
		break;
	default:
		to->outcome = RAVEN_OUTCOME_DEFERRED;
		break;
	}
	to->status = from->status ? from->status
	                          : g_strdup(to->outcome == RAVEN_OUTCOME_FAILED
	                                             ? "5.0.0"
	                                             : "4.0.0");
	to->diagnostic = from->diagnostic
	                         ? from->diagnostic
	                         : g_strdup("the transport gave no reason");
	to->remote_host = from->remote_host;
}

/* Send to the recipients `indexes` of one domain through the transport. */
static void
send_remote(RavenDelivery *d,
            const RavenSpoolEntry *entry,
            const char *queue_id,
            const char *domain,
            GArray *indexes,
            GArray *results)
{
	GArray *list = raven_registry_list(d->registry, RAVEN_KIND_TRANSPORT);
	const RavenRegistration *reg
		= list->len ? &g_array_index(list, RavenRegistration, 0) : NULL;
	g_autofree RavenRecipient *rcpts = NULL;
	g_autofree RavenTransportResult *out = NULL;
	RavenTransportJob job = { 0 };

	if (reg == NULL) {
		for (guint i = 0; i < indexes->len; i++)
			no_transport(&g_array_index(
				results, RavenDeliveryResult,
				g_array_index(indexes, guint, i)));
		return;
	}
	rcpts = g_new0(RavenRecipient, indexes->len);
	out = g_new0(RavenTransportResult, indexes->len);
	for (guint i = 0; i < indexes->len; i++)
		rcpts[i]
			= entry->envelope
		                  .recipients[g_array_index(indexes, guint, i)];
	job.size = sizeof job;
	job.queue_id = queue_id;
	job.domain = domain;
	job.sender = entry->envelope.sender;
	job.recipients = rcpts;
	job.n_recipients = indexes->len;
	job.envid = entry->envelope.envid;
	job.ret_full = entry->envelope.ret_full;
	job.body_8bit = entry->envelope.body_8bit;
	job.smtputf8 = entry->envelope.smtputf8;
	job.message = entry->message;
	((const RavenTransport *)reg->vtable)->send(&job, out, reg->data);
	for (guint i = 0; i < indexes->len; i++)
		take_transport_result(
			&out[i],
			&g_array_index(results, RavenDeliveryResult,
		                       g_array_index(indexes, guint, i)));
}

/* ---- reports (worker thread) */

static gboolean
wants(guint notify, guint bit)
{
	/* RFC 3461 4.1: without NOTIFY, failures (and delays) are reported */
	if (notify == 0)
		return bit != RAVEN_NOTIFY_SUCCESS;
	return (notify & bit) != 0;
}

/* Spool a report on the recipients of `job` whose outcome is `outcome`
 * and who asked for `bit`; `picked` marks them.  FALSE when it could not
 * be spooled (they are tried again later). */
static gboolean
report(RavenDelivery *d,
       Job *job,
       const RavenSpoolEntry *entry,
       RavenReportAction action,
       RavenOutcome outcome,
       guint bit,
       gint64 arrival)
{
	g_autoptr(GArray) rcpts
		= g_array_new(FALSE, TRUE, sizeof(RavenReportRecipient));
	g_autofree char *id = NULL;
	g_autoptr(GBytes) message = NULL;
	g_autoptr(GError) error = NULL;
	RavenReport r = { 0 };
	RavenRecipient to;
	RavenEnvelope envelope;

	for (guint i = 0; i < job->results->len; i++) {
		const RavenDeliveryResult *res
			= &g_array_index(job->results, RavenDeliveryResult, i);
		const RavenRecipient *rc = &entry->envelope.recipients[i];
		RavenReportRecipient one = {
			rc->address,     rc->orcpt,        res->status,
			res->diagnostic, res->remote_host,
		};

		if (res->outcome != outcome || !wants(rc->notify, bit))
			continue;
		/* A remote success is the next hop's to report: it got
		 * NOTIFY from us (RFC 3461 4.1). */
		if (action == RAVEN_REPORT_DELIVERED && res->user == NULL)
			continue;
		if (one.status == NULL)
			one.status = "2.0.0";
		g_array_append_val(rcpts, one);
	}
	if (rcpts->len == 0)
		return TRUE;
	if (*entry->envelope.sender == '\0') {
		g_message("%s: no report on a report (null sender)",
		          job->queue_id);
		return TRUE;
	}
	r.action = action;
	r.hostname = d->hostname;
	r.queue_id = job->queue_id;
	r.envelope = &entry->envelope;
	r.message = entry->message;
	r.arrival = arrival;
	r.retry_until = arrival + ms_to_seconds(job->policy.max_lifetime_ms);
	r.recipients = (const RavenReportRecipient *)rcpts->data;
	r.n_recipients = rcpts->len;
	message = raven_report_build(&r);
	raven_report_envelope(&r, &to, &envelope);
	id = raven_spool_new_id();
	if (!raven_spool_commit(d->spool, id, &envelope, message, &error)) {
		g_warning("%s: cannot spool a report to <%s>: %s",
		          job->queue_id, entry->envelope.sender,
		          error->message);
		return FALSE;
	}
	g_message("%s: %s report %s to <%s>", job->queue_id,
	          action == RAVEN_REPORT_FAILED    ? "bounce"
	          : action == RAVEN_REPORT_DELAYED ? "delay"
	                                           : "delivery",
	          id, entry->envelope.sender);
	g_ptr_array_add(job->reports, g_steal_pointer(&id));
	return TRUE;
}

/* ---- one attempt (worker thread) */

/* Still deferred after the queue's lifetime: that is a failure now. */
static void
expire(Job *job, gint64 arrival, gint64 now)
{
	if (now - arrival < ms_to_seconds(job->policy.max_lifetime_ms))
		return;
	for (guint i = 0; i < job->results->len; i++) {
		RavenDeliveryResult *res
			= &g_array_index(job->results, RavenDeliveryResult, i);

		if (res->outcome != RAVEN_OUTCOME_DEFERRED)
			continue;
		res->outcome = RAVEN_OUTCOME_FAILED;
		g_free(res->status);
		res->status = g_strdup("4.4.7");
	}
}

static gint64
next_try(const RavenQueuePolicy *policy, guint attempts, gint64 now)
{
	guint64 ms = policy->retry_first_ms;

	for (guint i = 1; i < attempts && ms < policy->retry_max_ms; i++)
		ms *= 2;
	ms = MIN(ms, policy->retry_max_ms);
	return now + MAX(ms_to_seconds(ms), 1);
}

/* Report, then write down what became of each recipient. */
static void
settle(RavenDelivery *d,
       Job *job,
       const RavenSpoolEntry *entry,
       RavenQueueNotes *notes,
       gint64 arrival,
       gint64 now)
{
	g_autoptr(GString) lines = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	gboolean bounced
		= report(d, job, entry, RAVEN_REPORT_FAILED,
	                 RAVEN_OUTCOME_FAILED, RAVEN_NOTIFY_FAILURE, arrival);
	gboolean open = FALSE;

	report(d, job, entry, RAVEN_REPORT_DELIVERED, RAVEN_OUTCOME_DELIVERED,
	       RAVEN_NOTIFY_SUCCESS, arrival);
	for (guint i = 0; i < job->results->len; i++) {
		const RavenDeliveryResult *res
			= &g_array_index(job->results, RavenDeliveryResult, i);

		if (res->outcome == RAVEN_OUTCOME_NONE)
			continue;
		if (res->outcome == RAVEN_OUTCOME_DEFERRED
		    || (res->outcome == RAVEN_OUTCOME_FAILED && !bounced)) {
			raven_queue_note_deferred(lines, i, res->diagnostic);
			open = TRUE;
		} else {
			raven_queue_note_settled(lines, i);
		}
	}
	if (open) {
		if (!notes->warned && job->policy.delay_warning_ms > 0
		    && now - arrival
		               >= ms_to_seconds(job->policy.delay_warning_ms)
		    && report(d, job, entry, RAVEN_REPORT_DELAYED,
		              RAVEN_OUTCOME_DEFERRED, RAVEN_NOTIFY_DELAY,
		              arrival))
			raven_queue_note_warned(lines);
		job->next_try
			= next_try(&job->policy, notes->attempts + 1, now);
		raven_queue_note_attempt(lines, notes->attempts + 1,
		                         job->next_try);
	}
	/* Settled entirely: no notes needed.  Should the removal be lost in
	 * a crash, the next run delivers again and the delivery keys keep
	 * local copies single. */
	if (!open)
		raven_spool_remove(d->spool, job->queue_id);
	else if (!raven_spool_note(d->spool, job->queue_id, lines->str, &error))
		g_warning("%s: %s", job->queue_id, error->message);
}

static void
attempt(RavenDelivery *d, Job *job, const RavenSpoolEntry *entry)
{
	g_autofree char *text = raven_spool_notes(d->spool, job->queue_id);
	guint n = entry->envelope.n_recipients;
	g_autoptr(RavenQueueNotes) notes = raven_queue_notes_parse(text, n);
	g_autoptr(GHashTable) domains = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
	gint64 now = now_seconds();
	gint64 arrival = raven_spool_arrival(d->spool, job->queue_id);
	GHashTableIter iter;
	gpointer domain, indexes;

	if (arrival == 0)
		arrival = now;
	g_mutex_lock(&d->policy_lock);
	job->policy = d->policy;
	g_mutex_unlock(&d->policy_lock);
	job_add_recipients(job, entry);
	for (guint i = 0; i < n; i++) {
		const char *address = entry->envelope.recipients[i].address;
		GArray *group;

		if (notes->settled[i])
			continue;
		if (is_local(d, address)) {
			raven_local_deliver(
				d->registry, d->users, entry, job->queue_id, i,
				&g_array_index(job->results,
			                       RavenDeliveryResult, i));
			continue;
		}
		domain = g_ascii_strdown(domain_of(address), -1);
		group = g_hash_table_lookup(domains, domain);
		if (group == NULL) {
			group = g_array_new(FALSE, FALSE, sizeof(guint));
			g_hash_table_insert(domains, g_strdup(domain), group);
		}
		g_array_append_val(group, i);
		g_free(domain);
	}
	g_hash_table_iter_init(&iter, domains);
	while (g_hash_table_iter_next(&iter, &domain, &indexes))
		send_remote(d, entry, job->queue_id, domain, indexes,
		            job->results);
	expire(job, arrival, now);
	settle(d, job, entry, notes, arrival, now);
}

static gboolean job_finished(gpointer data);

/* Not g_main_context_invoke: before the loop runs it would call
 * job_finished right here, on this worker thread. */
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

	if (entry == NULL)
		g_warning("delivery: cannot read %s: %s", job->queue_id,
		          error->message);
	else
		attempt(d, job, entry);
	finish_on_loop(d, job);
}

/* ---- straight into the mailboxes (the submitting worker thread) */

gboolean
raven_delivery_direct(const char *queue_id,
                      const RavenSpoolEntry *entry,
                      gpointer data)
{
	RavenDelivery *d = data;
	guint n = entry->envelope.n_recipients;
	Job *job;

	/* Remote recipients, and delivery reports, are the queue's. */
	for (guint i = 0; i < n; i++) {
		const RavenRecipient *rcpt = &entry->envelope.recipients[i];

		if (!is_local(d, rcpt->address)
		    || (rcpt->notify & RAVEN_NOTIFY_SUCCESS))
			return FALSE;
	}
	job = job_new(d, queue_id);
	job_add_recipients(job, entry);
	for (guint i = 0; i < n; i++) {
		RavenDeliveryResult *res
			= &g_array_index(job->results, RavenDeliveryResult, i);

		raven_local_deliver(d->registry, d->users, entry, queue_id, i,
		                    res);
		/* The queue takes over: what was stored here, it finds
		 * again by the delivery key instead of storing twice. */
		if (res->outcome != RAVEN_OUTCOME_DELIVERED
		    && res->outcome != RAVEN_OUTCOME_DISCARDED) {
			job_free(job);
			return FALSE;
		}
	}
	finish_on_loop(d, job);
	return TRUE;
}

/* ---- the outcome (main loop) */

static void
publish(RavenDelivery *d, const Job *job, guint index)
{
	const RavenDeliveryResult *r
		= &g_array_index(job->results, RavenDeliveryResult, index);
	const char *address = job->addresses[index];
	RavenEvent event = {
		.size = sizeof event,
		.user = r->user,
		.folder = r->folder,
		.uid = r->uid,
		.queue_id = job->queue_id,
		.sender = job->sender,
		.recipient = address,
		.reason = r->diagnostic,
	};

	switch (r->outcome) {
	case RAVEN_OUTCOME_NONE:
		return;
	case RAVEN_OUTCOME_DELIVERED:
		event.type = RAVEN_EVENT_MESSAGE_DELIVERED;
		if (r->user)
			g_message("%s: delivered to %s in %s (uid %u)",
			          job->queue_id, r->user, r->folder, r->uid);
		else
			g_message("%s: sent to %s via %s", job->queue_id,
			          address,
			          r->remote_host ? r->remote_host : "?");
		break;
	case RAVEN_OUTCOME_DISCARDED:
		g_message("%s: discarded for %s", job->queue_id, address);
		return;
	case RAVEN_OUTCOME_FAILED:
		event.type = RAVEN_EVENT_DELIVERY_FAILED;
		g_message("%s: delivery to %s failed (%s): %s", job->queue_id,
		          address, r->status, r->diagnostic);
		break;
	case RAVEN_OUTCOME_DEFERRED:
		event.type = RAVEN_EVENT_DELIVERY_DEFERRED;
		g_warning("%s: delivery to %s deferred (%s): %s", job->queue_id,
		          address, r->status, r->diagnostic);
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
schedule_retry(RavenDelivery *d, const char *queue_id, gint64 when)
{
	Retry *retry = g_new0(Retry, 1);
	gint64 wait = MAX(when - now_seconds(), 1);
	guint id;

	retry->delivery = d;
	retry->queue_id = g_strdup(queue_id);
	id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT,
	                                (guint)MIN(wait, G_MAXINT32), retry_now,
	                                retry, retry_free);
	g_hash_table_insert(d->pending, g_strdup(queue_id),
	                    GUINT_TO_POINTER(id));
}

static gboolean
job_finished(gpointer data)
{
	Job *job = data;
	RavenDelivery *d = job->delivery;

	g_hash_table_remove(d->pending, job->queue_id);
	for (guint i = 0; job->results && i < job->results->len; i++)
		publish(d, job, i);
	for (guint i = 0; i < job->reports->len; i++)
		raven_delivery_start(d, job->reports->pdata[i]);
	if (job->next_try && !d->stopping)
		schedule_retry(d, job->queue_id, job->next_try);
	job_free(job);
	return G_SOURCE_REMOVE;
}

/* ---- the queue, as ravenctl sees it (main loop) */

static char *
date_of(gint64 seconds)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_local(seconds);

	return g_date_time_format(time, "%Y-%m-%d %H:%M:%S");
}

static void
list_one(RavenDelivery *d, const char *queue_id, gboolean running, GString *out)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenSpoolEntry) entry
		= raven_spool_read(d->spool, queue_id, &error);
	g_autofree char *text = NULL;
	g_autoptr(RavenQueueNotes) notes = NULL;
	g_autofree char *arrived = NULL;

	if (entry == NULL)
		return;
	text = raven_spool_notes(d->spool, queue_id);
	notes = raven_queue_notes_parse(text, entry->envelope.n_recipients);
	arrived = date_of(raven_spool_arrival(d->spool, queue_id));
	g_string_append_printf(out,
	                       "%s %" G_GSIZE_FORMAT " bytes, arrived %s,"
	                       " from <%s>\n",
	                       queue_id, g_bytes_get_size(entry->message),
	                       arrived, entry->envelope.sender);
	if (running) {
		g_string_append(out, "  being delivered now\n");
	} else if (notes->next_try) {
		g_autofree char *next = date_of(notes->next_try);

		g_string_append_printf(
			out, "  next attempt %s (after %u attempt%s)\n", next,
			notes->attempts, notes->attempts == 1 ? "" : "s");
	}
	for (guint i = 0; i < entry->envelope.n_recipients; i++) {
		if (notes->settled[i])
			continue;
		g_string_append_printf(out, "  %s: %s\n",
		                       entry->envelope.recipients[i].address,
		                       notes->reasons[i] ? notes->reasons[i]
		                                         : "waiting");
	}
}

void
raven_delivery_list(RavenDelivery *d, GString *out)
{
	GList *ids = g_list_sort(g_hash_table_get_keys(d->pending),
	                         (GCompareFunc)strcmp);

	for (GList *l = ids; l; l = l->next)
		list_one(d, l->data,
		         g_hash_table_lookup(d->pending, l->data) == NULL, out);
	if (ids == NULL)
		g_string_append(out, "the queue is empty\n");
	g_list_free(ids);
}

guint
raven_delivery_flush(RavenDelivery *d)
{
	g_autoptr(GPtrArray) due = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer id, timer;

	g_hash_table_iter_init(&iter, d->pending);
	while (g_hash_table_iter_next(&iter, &id, &timer)) {
		if (GPOINTER_TO_UINT(timer) == 0)
			continue;
		g_source_remove(GPOINTER_TO_UINT(timer));
		g_ptr_array_add(due, g_strdup(id));
		g_hash_table_iter_remove(&iter);
	}
	for (guint i = 0; i < due->len; i++)
		raven_delivery_start(d, due->pdata[i]);
	return due->len;
}

gboolean
raven_delivery_remove(RavenDelivery *d, const char *queue_id, GError **error)
{
	gpointer timer;

	if (!g_hash_table_lookup_extended(d->pending, queue_id, NULL, &timer)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            "no message %s in the queue", queue_id);
		return FALSE;
	}
	if (GPOINTER_TO_UINT(timer) == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_AGAIN,
		            "%s is being delivered right now; try again",
		            queue_id);
		return FALSE;
	}
	g_source_remove(GPOINTER_TO_UINT(timer));
	g_hash_table_remove(d->pending, queue_id);
	raven_spool_remove(d->spool, queue_id);
	g_message("%s: removed from the queue by the admin", queue_id);
	return TRUE;
}

/* ---- the service */

RavenDelivery *
raven_delivery_new(RavenSpool *spool,
                   RavenRegistry *registry,
                   RavenUserDb *users,
                   RavenEventBus *events,
                   const char *hostname,
                   const RavenQueuePolicy *policy)
{
	RavenDelivery *d = g_new0(RavenDelivery, 1);

	d->spool = spool;
	d->registry = registry;
	d->users = users;
	d->events = events;
	d->hostname = g_strdup(hostname);
	g_mutex_init(&d->policy_lock);
	d->policy = *policy;
	d->context = g_main_context_ref_thread_default();
	d->pending
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d->pool = g_thread_pool_new(job_run, d, RAVEN_DELIVERY_THREADS, FALSE,
	                            NULL);
	return d;
}

void
raven_delivery_set_policy(RavenDelivery *d, const RavenQueuePolicy *policy)
{
	g_mutex_lock(&d->policy_lock);
	d->policy = *policy;
	g_mutex_unlock(&d->policy_lock);
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
	g_free(d->hostname);
	g_mutex_clear(&d->policy_lock);
	g_free(d);
}

void
raven_delivery_start(RavenDelivery *d, const char *queue_id)
{
	Job *job;

	if (d->stopping || g_hash_table_contains(d->pending, queue_id))
		return;
	job = job_new(d, queue_id);
	g_hash_table_insert(d->pending, g_strdup(queue_id),
	                    GUINT_TO_POINTER(0));
	g_thread_pool_push(d->pool, job, NULL);
}
