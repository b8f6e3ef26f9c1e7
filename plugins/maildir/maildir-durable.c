/* maildir-durable.c: what is made durable, and when: the shared fsync of
 * new/ and cur/ (group commit), files replaced with or without fsync, and
 * the boot a file was written in.
 * SPDX-License-Identifier: MIT
 *
 * A delivery fsyncs its own file, links it, takes a ticket, and then waits
 * for an fsync of new/ that started after it took the ticket: one fsync
 * covers every link made before it, so threads delivering together share
 * it (as sync_dir() in the core's spool).
 * The UID index is rewritten without fsync, except when it reserves a new
 * block of UIDs and modseqs (maildir-index.c).
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BOOT_ID_FILE "/proc/sys/kernel/random/boot_id"

void
maildir_dir_sync_init(MaildirDirSync *sync)
{
	g_mutex_init(&sync->lock);
	g_cond_init(&sync->cond);
	sync->wanted = 0;
	sync->done = 0;
	sync->syncing = FALSE;
	sync->error = 0;
}

void
maildir_dir_sync_clear(MaildirDirSync *sync)
{
	g_mutex_clear(&sync->lock);
	g_cond_clear(&sync->cond);
}

/* One fsync of `path`: 0 or an errno. */
static int
fsync_path(MaildirStore *store, const char *path)
{
	int fd;
	int err = 0;

	if (store->before_dir_fsync != NULL)
		store->before_dir_fsync(store->before_dir_fsync_data);
	g_atomic_int_inc(&store->dir_fsyncs);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		err = errno;
	close(fd);
	return err;
}

guint64
maildir_folder_ticket(MaildirFolder *folder, gboolean in_new)
{
	MaildirDirSync *sync = &folder->dir_sync[in_new ? 0 : 1];
	guint64 ticket;

	g_mutex_lock(&sync->lock);
	ticket = ++sync->wanted;
	g_mutex_unlock(&sync->lock);
	return ticket;
}

gboolean
maildir_folder_flush(MaildirFolder *folder,
                     gboolean in_new,
                     guint64 ticket,
                     GError **error)
{
	MaildirDirSync *sync = &folder->dir_sync[in_new ? 0 : 1];
	g_autofree char *path
		= g_build_filename(folder->path, in_new ? "new" : "cur", NULL);
	int err;

	g_mutex_lock(&sync->lock);
	while (sync->done < ticket) {
		guint64 target;

		if (sync->syncing) {
			g_cond_wait(&sync->cond, &sync->lock);
			continue;
		}
		/* Covers every ticket handed out so far: their links came
		 * before this fsync starts. */
		sync->syncing = TRUE;
		target = sync->wanted;
		g_mutex_unlock(&sync->lock);
		err = fsync_path(folder->user->store, path);
		g_mutex_lock(&sync->lock);
		sync->syncing = FALSE;
		sync->done = target;
		sync->error = err;
		g_cond_broadcast(&sync->cond);
	}
	err = sync->error;
	g_mutex_unlock(&sync->lock);
	if (err == 0)
		return TRUE;
	maildir_set_error(error, err, "cannot fsync %s", path);
	return FALSE;
}

gboolean
maildir_write_all(int fd, const void *buf, gsize len)
{
	const char *data = buf;

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Write `data` into a new temporary file beside `path`; its path or
 * NULL with errno set. */
static char *
write_temp(const char *path, const char *data, gsize len, gboolean durable)
{
	char *temp = g_strconcat(path, ".XXXXXX", NULL);
	int fd = g_mkstemp_full(temp, O_WRONLY | O_CLOEXEC, 0600);
	gboolean ok;
	int errsv;

	if (fd < 0) {
		g_free(temp);
		return NULL;
	}
	ok = maildir_write_all(fd, data, len) && (!durable || fsync(fd) == 0);
	errsv = errno;
	if (close(fd) < 0 && ok) {
		ok = FALSE;
		errsv = errno;
	}
	if (!ok) {
		unlink(temp);
		g_free(temp);
		errno = errsv;
		return NULL;
	}
	return temp;
}

gboolean
maildir_replace_file(const char *path,
                     const char *data,
                     gsize len,
                     gboolean durable,
                     GError **error)
{
	g_autofree char *temp = write_temp(path, data, len, durable);
	g_autofree char *dir = NULL;

	if (temp == NULL) {
		maildir_set_error(error, errno, "cannot write %s", path);
		return FALSE;
	}
	if (rename(temp, path) < 0) {
		maildir_set_error(error, errno, "cannot write %s", path);
		unlink(temp);
		return FALSE;
	}
	if (!durable)
		return TRUE;
	dir = g_path_get_dirname(path);
	return maildir_fsync_dir(dir, error);
}

static gpointer
read_boot_id(gpointer data)
{
	char *text = NULL;

	/* Elsewhere, each process counts as a boot of its own: safe, at the
	 * cost of a block of UIDs per folder and start. */
	if (!g_file_get_contents(BOOT_ID_FILE, &text, NULL, NULL))
		return g_strdup_printf("pid%d-%" G_GINT64_FORMAT, (int)getpid(),
		                       g_get_real_time());
	return g_strstrip(text);
}

const char *
maildir_boot_id(void)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, read_boot_id, NULL);
}
