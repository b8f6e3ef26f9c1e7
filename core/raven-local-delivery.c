/* raven-local-delivery.c: one recipient into its local mailbox.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-local-delivery.h"

void
raven_delivery_result_clear(gpointer p)
{
	RavenDeliveryResult *r = p;

	g_free(r->user);
	g_free(r->folder);
	g_free(r->status);
	g_free(r->diagnostic);
	g_free(r->remote_host);
}

static const RavenRegistration *
first_storage(RavenRegistry *registry)
{
	GArray *list = raven_registry_list(registry, RAVEN_KIND_STORAGE);

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
choose_folder(RavenRegistry *registry,
              const RavenSpoolEntry *entry,
              const char *user,
              char **folder)
{
	GArray *agents
		= raven_registry_list(registry, RAVEN_KIND_DELIVERY_AGENT);
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
prepare_message(RavenRegistry *registry,
                const RavenSpoolEntry *entry,
                const char *user,
                const char *address,
                GError **error)
{
	GString *head = g_string_new(NULL);
	GArray *layers
		= raven_registry_list(registry, RAVEN_KIND_STORAGE_LAYER);
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
store(RavenRegistry *registry,
      const RavenSpoolEntry *entry,
      const char *queue_id,
      guint index,
      RavenDeliveryResult *res)
{
	const RavenRegistration *storage = first_storage(registry);
	const RavenStorage *vt = storage ? storage->vtable : NULL;
	const char *address = entry->envelope.recipients[index].address;
	g_autofree char *key = g_strdup_printf("%s-%u", queue_id, index);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) message = NULL;

	if (vt == NULL || vt->deliver == NULL) {
		res->outcome = RAVEN_OUTCOME_DEFERRED;
		res->status = g_strdup("4.3.5");
		res->diagnostic = g_strdup("no storage plugin is configured");
		return;
	}
	message = prepare_message(registry, entry, res->user, address, &error);
	if (message)
		res->uid = vt->deliver(res->user, res->folder, message, key,
		                       storage->data, &error);
	if (res->uid != 0) {
		res->outcome = RAVEN_OUTCOME_DELIVERED;
	} else if (g_error_matches(error, RAVEN_STORAGE_ERROR,
	                           RAVEN_STORAGE_ERROR_QUOTA)) {
		res->outcome = RAVEN_OUTCOME_FAILED;
		res->status = g_strdup("5.2.2");
		res->diagnostic = g_strdup_printf("552 5.2.2 mailbox full: %s",
		                                  error->message);
	} else {
		res->outcome = RAVEN_OUTCOME_DEFERRED;
		res->status = g_strdup("4.3.0");
		res->diagnostic = g_strdup(error ? error->message
		                                 : "the storage failed");
	}
}

void
raven_local_deliver(RavenRegistry *registry,
                    RavenUserDb *users,
                    const RavenSpoolEntry *entry,
                    const char *queue_id,
                    guint index,
                    RavenDeliveryResult *res)
{
	res->user = raven_user_db_resolve(
		users, entry->envelope.recipients[index].address);
	if (res->user == NULL) {
		res->outcome = RAVEN_OUTCOME_FAILED;
		res->status = g_strdup("5.1.1");
		res->diagnostic = g_strdup("550 5.1.1 the address does not "
		                           "exist");
		return;
	}
	if (!choose_folder(registry, entry, res->user, &res->folder)) {
		res->outcome = RAVEN_OUTCOME_DISCARDED;
		return;
	}
	store(registry, entry, queue_id, index, res);
}
