/* maildir-cache.c: the parsed indexes of folders nobody holds open, kept
 * so that the next session's open skips reading raven-uidlist again.
 * SPDX-License-Identifier: MIT
 *
 * A kept index is only a head start: the folder that adopts it checks it
 * against the disk like any other (maildir_sync: the index file's identity,
 * then new/ and cur/), so what other processes and tools changed meanwhile
 * is seen as before.  Indexes with unsaved changes are not kept.
 */
#include "config.h"

#include "maildir.h"

#include <string.h>

/* Folders' indexes kept at most; a big folder's costs about 250 bytes a
 * message. */
#define CACHED_MAX 64

typedef struct {
	char *path; /* the folder's directory; the table's key */
	MaildirIndex *index;
	MaildirKeywords keywords;
} MaildirCached;

static void
cached_free(gpointer data)
{
	MaildirCached *cached = data;

	maildir_index_free(cached->index);
	maildir_keywords_clear(&cached->keywords);
	g_free(cached->path);
	g_free(cached);
}

static void
cached_remove(MaildirStore *store, MaildirCached *cached)
{
	g_queue_remove(&store->cached_order, cached->path);
	g_hash_table_remove(store->cached, cached->path);
}

static GHashTable *
cached_table(MaildirStore *store)
{
	if (store->cached == NULL)
		store->cached = g_hash_table_new_full(g_str_hash, g_str_equal,
		                                      NULL, cached_free);
	return store->cached;
}

void
maildir_cache_keep(MaildirStore *store, MaildirFolder *folder)
{
	MaildirIndex *index = folder->index;
	MaildirCached *cached;

	if (index == NULL || index->dirty || index->expunged->len > 0)
		return;
	cached = g_hash_table_lookup(cached_table(store), folder->path);
	if (cached != NULL)
		cached_remove(store, cached);
	cached = g_new0(MaildirCached, 1);
	cached->path = g_strdup(folder->path);
	cached->index = g_steal_pointer(&folder->index);
	cached->keywords = folder->keywords;
	memset(&folder->keywords, 0, sizeof folder->keywords);
	g_hash_table_insert(store->cached, cached->path, cached);
	g_queue_push_head(&store->cached_order, cached->path);
	while (g_queue_get_length(&store->cached_order) > CACHED_MAX) {
		const char *oldest = g_queue_peek_tail(&store->cached_order);

		cached_remove(store,
		              g_hash_table_lookup(store->cached, oldest));
	}
}

void
maildir_cache_adopt(MaildirStore *store, MaildirFolder *folder)
{
	MaildirCached *cached;

	if (store->cached == NULL)
		return;
	cached = g_hash_table_lookup(store->cached, folder->path);
	if (cached == NULL)
		return;
	g_clear_pointer(&folder->index, maildir_index_free);
	maildir_keywords_clear(&folder->keywords);
	folder->index = g_steal_pointer(&cached->index);
	folder->keywords = cached->keywords;
	memset(&cached->keywords, 0, sizeof cached->keywords);
	cached_remove(store, cached);
}

void
maildir_cache_forget(MaildirStore *store, const char *root)
{
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	gsize len = strlen(root);

	g_mutex_lock(&store->lock);
	for (GList *l = store->cached_order.head; l != NULL; l = l->next) {
		const char *path = l->data;

		if (strncmp(path, root, len) == 0
		    && (path[len] == '\0' || path[len] == '/'))
			g_ptr_array_add(gone, l->data);
	}
	for (guint i = 0; i < gone->len; i++)
		cached_remove(store, g_hash_table_lookup(store->cached,
		                                         gone->pdata[i]));
	g_mutex_unlock(&store->lock);
}

void
maildir_cache_clear(MaildirStore *store)
{
	g_queue_clear(&store->cached_order);
	g_clear_pointer(&store->cached, g_hash_table_unref);
}
