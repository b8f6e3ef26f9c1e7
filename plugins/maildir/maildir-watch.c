/* maildir-watch.c: telling open mailboxes that their folder changed.
 * SPDX-License-Identifier: MIT
 *
 * Two sources, one path: changes made through this process call
 * maildir_folder_notify() on the folder, which reaches every open mailbox of
 * it at once; changes made by other processes and tools show through a
 * GFileMonitor on new/ and cur/ of each watched mailbox.  Either queues one
 * idle callback per mailbox on the main loop, so bursts fold into one call.
 */
#include "config.h"

#include "maildir.h"

typedef struct {
	guint id;
	RavenMailboxChanged changed;
	gpointer data;
} Watcher;

static gboolean
watched(RavenMailbox *mailbox, guint id)
{
	gboolean found = FALSE;

	g_mutex_lock(&mailbox->lock);
	for (guint i = 0; mailbox->watchers && i < mailbox->watchers->len; i++)
		found |= g_array_index(mailbox->watchers, Watcher, i).id == id;
	g_mutex_unlock(&mailbox->lock);
	return found;
}

static gboolean
dispatch(gpointer data)
{
	RavenMailbox *mailbox = data;
	g_autoptr(GArray) watchers = NULL;

	g_mutex_lock(&mailbox->lock);
	mailbox->pending = FALSE;
	if (!mailbox->closed && mailbox->watchers != NULL)
		watchers = g_array_copy(mailbox->watchers);
	g_mutex_unlock(&mailbox->lock);
	for (guint i = 0; watchers && i < watchers->len; i++) {
		Watcher *watcher = &g_array_index(watchers, Watcher, i);

		/* An earlier callback may have unwatched this one. */
		if (watched(mailbox, watcher->id))
			watcher->changed(mailbox, watcher->data);
	}
	return G_SOURCE_REMOVE;
}

static void
schedule(RavenMailbox *mailbox)
{
	gboolean queue;

	g_mutex_lock(&mailbox->lock);
	queue = !mailbox->closed && !mailbox->pending
	        && mailbox->watchers != NULL && mailbox->watchers->len > 0;
	if (queue)
		mailbox->pending = TRUE;
	g_mutex_unlock(&mailbox->lock);
	if (queue)
		g_idle_add_full(G_PRIORITY_DEFAULT, dispatch,
		                maildir_mailbox_ref(mailbox),
		                (GDestroyNotify)maildir_mailbox_unref);
}

void
maildir_folder_notify(MaildirFolder *folder)
{
	g_mutex_lock(&folder->watch_lock);
	for (GList *l = folder->mailboxes; l; l = l->next)
		schedule(l->data);
	g_mutex_unlock(&folder->watch_lock);
}

static void
on_monitor(GFileMonitor *monitor,
           GFile *file,
           GFile *other,
           GFileMonitorEvent event,
           gpointer data)
{
	/* Files in new/ and cur/ come and go whole; a change of contents
	 * or attributes is no news. */
	if (event == G_FILE_MONITOR_EVENT_CHANGED
	    || event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT
	    || event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED)
		return;
	schedule(data);
}

static void
unref_closure_data(gpointer data, GClosure *closure)
{
	maildir_mailbox_unref(data);
}

static GFileMonitor *
monitor_dir(RavenMailbox *mailbox, const char *sub)
{
	g_autofree char *path
		= g_build_filename(mailbox->folder->path, sub, NULL);
	g_autoptr(GFile) dir = g_file_new_for_path(path);
	g_autoptr(GError) error = NULL;
	GFileMonitor *monitor = g_file_monitor_directory(
		dir, G_FILE_MONITOR_NONE, NULL, &error);

	if (monitor == NULL) {
		/* Changes made through this process are still told. */
		g_warning("cannot watch %s: %s", path, error->message);
		return NULL;
	}
	g_signal_connect_data(monitor, "changed", G_CALLBACK(on_monitor),
	                      maildir_mailbox_ref(mailbox), unref_closure_data,
	                      0);
	return monitor;
}

static void
stop_monitors(GFileMonitor **monitors)
{
	for (guint i = 0; i < 2; i++) {
		if (monitors[i] == NULL)
			continue;
		g_file_monitor_cancel(monitors[i]);
		g_signal_handlers_disconnect_matched(
			monitors[i], G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
			G_CALLBACK(on_monitor), NULL);
		g_clear_object(&monitors[i]);
	}
}

guint
maildir_watch(RavenMailbox *mailbox,
              RavenMailboxChanged changed,
              gpointer changed_data)
{
	Watcher watcher = { 0, changed, changed_data };
	GFileMonitor *monitors[2] = { NULL, NULL };
	gboolean first;

	g_return_val_if_fail(changed != NULL, 0);
	g_mutex_lock(&mailbox->lock);
	if (mailbox->watchers == NULL)
		mailbox->watchers = g_array_new(FALSE, FALSE, sizeof(Watcher));
	watcher.id = ++mailbox->next_watch_id;
	g_array_append_val(mailbox->watchers, watcher);
	first = mailbox->watchers->len == 1 && mailbox->monitors[0] == NULL
	        && mailbox->monitors[1] == NULL;
	g_mutex_unlock(&mailbox->lock);
	if (!first)
		return watcher.id;
	monitors[0] = monitor_dir(mailbox, "new");
	monitors[1] = monitor_dir(mailbox, "cur");
	g_mutex_lock(&mailbox->lock);
	mailbox->monitors[0] = monitors[0];
	mailbox->monitors[1] = monitors[1];
	g_mutex_unlock(&mailbox->lock);
	return watcher.id;
}

void
maildir_unwatch(RavenMailbox *mailbox, guint id)
{
	GFileMonitor *monitors[2] = { NULL, NULL };

	g_mutex_lock(&mailbox->lock);
	for (guint i = 0; mailbox->watchers && i < mailbox->watchers->len;
	     i++) {
		if (g_array_index(mailbox->watchers, Watcher, i).id == id)
			g_array_remove_index(mailbox->watchers, i--);
	}
	if (mailbox->watchers == NULL || mailbox->watchers->len == 0) {
		monitors[0] = g_steal_pointer(&mailbox->monitors[0]);
		monitors[1] = g_steal_pointer(&mailbox->monitors[1]);
	}
	g_mutex_unlock(&mailbox->lock);
	stop_monitors(monitors);
}

void
maildir_watch_clear(RavenMailbox *mailbox)
{
	GFileMonitor *monitors[2];

	g_mutex_lock(&mailbox->lock);
	mailbox->closed = TRUE;
	if (mailbox->watchers != NULL)
		g_array_set_size(mailbox->watchers, 0);
	monitors[0] = g_steal_pointer(&mailbox->monitors[0]);
	monitors[1] = g_steal_pointer(&mailbox->monitors[1]);
	g_mutex_unlock(&mailbox->lock);
	stop_monitors(monitors);
}
