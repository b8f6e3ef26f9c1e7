/* maildir-quota.c: a user's usage in the Maildir++ `maildirsize` file, the
 * limit, and the warning sent once when usage crosses a mark.
 * SPDX-License-Identifier: MIT
 *
 * maildirsize: the first line is the limit ("10485760S"), then one line
 * "BYTES COUNT" per change, appended with one write() and never fsynced.  It is
 * recounted from the folders when it is missing, damaged, over 5120 bytes or
 * written for another limit, as the Maildir++ spec says.
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAILDIRSIZE_MAX 5120

guint64
maildir_quota_limit(MaildirStore *store, const char *user)
{
	const RavenCore *core = store->core;
	guint64 own = 0;

	if (RAVEN_CORE_HAS(core, user_quota) && core->user_quota != NULL)
		own = core->user_quota(user);
	return own != 0 ? own : store->quota;
}

/* "9.8 KiB", in ASCII: GLib puts a no-break space before the unit. */
static char *
size_text(guint64 bytes)
{
	g_autofree char *text
		= g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
	g_auto(GStrv) parts = g_strsplit(text, "\xc2\xa0", -1);

	return g_strjoinv(" ", parts);
}

static char *
size_path(MaildirUser *user)
{
	return g_build_filename(user->root, MAILDIR_SIZE_FILE, NULL);
}

/* The file's sums; FALSE when it must be recounted. */
static gboolean
read_sizes(const char *path, const char *header, gint64 *bytes, gint64 *count)
{
	g_autofree char *data = NULL;
	g_auto(GStrv) lines = NULL;
	gsize len;

	*bytes = 0;
	*count = 0;
	if (!g_file_get_contents(path, &data, &len, NULL)
	    || len > MAILDIRSIZE_MAX)
		return FALSE;
	lines = g_strsplit(data, "\n", -1);
	if (lines[0] == NULL || strcmp(lines[0], header) != 0)
		return FALSE;
	for (guint i = 1; lines[i]; i++) {
		gint64 b;
		gint64 c;

		if (*lines[i] == '\0')
			continue;
		if (sscanf(lines[i], "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
		           &b, &c)
		    != 2)
			return FALSE;
		*bytes += b;
		*count += c;
	}
	return *bytes >= 0 && *count >= 0;
}

static void
count_dir(const char *path, gint64 *bytes, gint64 *count)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL) {
		gint64 size = maildir_name_size(name);
		struct stat st;

		if (name[0] == '.')
			continue;
		if (size < 0) {
			g_autofree char *file
				= g_build_filename(path, name, NULL);

			size = stat(file, &st) == 0 ? (gint64)st.st_size : 0;
		}
		*bytes += size;
		(*count)++;
	}
	g_dir_close(dir);
}

/* Count one folder under its lock, so a file being renamed is seen once. */
static void
count_folder(MaildirUser *user, const char *name, gint64 *bytes, gint64 *count)
{
	MaildirFolder *folder = maildir_folder_get_for(user, name, NULL);
	g_autofree char *new_dir = NULL;
	g_autofree char *cur_dir = NULL;

	if (folder == NULL)
		return;
	if (maildir_folder_lock(folder, NULL)) {
		new_dir = g_build_filename(folder->path, "new", NULL);
		cur_dir = g_build_filename(folder->path, "cur", NULL);
		count_dir(new_dir, bytes, count);
		count_dir(cur_dir, bytes, count);
		maildir_folder_unlock(folder);
	}
	maildir_folder_unref(folder);
}

/* Caller holds user->lock and no folder lock. */
static gboolean
recount(MaildirUser *user,
        const char *header,
        gint64 *bytes,
        gint64 *count,
        GError **error)
{
	g_autoptr(GPtrArray) names = maildir_folder_names(user, error);
	g_autofree char *path = size_path(user);
	g_autofree char *data = NULL;

	if (names == NULL)
		return FALSE;
	*bytes = 0;
	*count = 0;
	for (guint i = 0; i < names->len; i++)
		count_folder(user, names->pdata[i], bytes, count);
	data = g_strdup_printf("%s\n%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
	                       "\n",
	                       header, *bytes, *count);
	/* No fsync: a file lost in a crash is recounted. */
	return maildir_replace_file(path, data, strlen(data), FALSE, error);
}

/* The sums of the file as `id` when they are known. */
static gboolean
cached_sizes(MaildirUser *user,
             const MaildirFileId *id,
             guint64 limit,
             gint64 *bytes,
             gint64 *count)
{
	MaildirSizes *sizes = &user->sizes;

	if (!id->exists || sizes->limit != limit
	    || !maildir_file_id_equal(id, &sizes->id))
		return FALSE;
	*bytes = sizes->bytes;
	*count = sizes->count;
	return TRUE;
}

/* Caller holds user->lock. */
static gboolean
usage_locked(MaildirUser *user, gint64 *bytes, gint64 *count, GError **error)
{
	g_autofree char *path = size_path(user);
	guint64 limit = maildir_quota_limit(user->store, user->name);
	g_autofree char *header
		= g_strdup_printf("%" G_GUINT64_FORMAT "S", limit);
	MaildirFileId before = maildir_file_id(path);
	MaildirFileId after;

	if (cached_sizes(user, &before, limit, bytes, count))
		return TRUE;
	user->sizes.id.exists = FALSE;
	if (read_sizes(path, header, bytes, count)) {
		after = maildir_file_id(path);
		/* Unless another process appended meanwhile. */
		if (!maildir_file_id_equal(&before, &after))
			return TRUE;
	} else if (!recount(user, header, bytes, count, error)) {
		return FALSE;
	} else {
		after = maildir_file_id(path);
	}
	user->sizes = (MaildirSizes){ after, limit, *bytes, *count };
	return TRUE;
}

gboolean
maildir_quota_check(MaildirUser *user, guint64 size, GError **error)
{
	guint64 limit = maildir_quota_limit(user->store, user->name);
	g_autofree char *used_text = NULL;
	g_autofree char *limit_text = NULL;
	gint64 bytes;
	gint64 count;
	gboolean ok;

	if (limit == 0)
		return TRUE;
	g_mutex_lock(&user->lock);
	ok = usage_locked(user, &bytes, &count, error);
	g_mutex_unlock(&user->lock);
	if (!ok)
		return FALSE;
	if ((guint64)bytes + size <= limit)
		return TRUE;
	used_text = size_text((guint64)bytes);
	limit_text = size_text(limit);
	g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_QUOTA,
	            "the mailbox of %s is full (%s of %s used); a message of "
	            "%" G_GUINT64_FORMAT " bytes does not fit",
	            user->name, used_text, limit_text, size);
	return FALSE;
}

static void
append_line(MaildirUser *user, gint64 bytes, gint64 count)
{
	g_autofree char *path = size_path(user);
	g_autofree char *line = g_strdup_printf(
		"%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", bytes, count);
	gsize len = strlen(line);
	MaildirFileId before = maildir_file_id(path);
	MaildirFileId after;
	/* Missing: it is recounted, with this change, when next read. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, line, len) < 0) {
		/* A half-known file is worse than none. */
		unlink(path);
	}
	close(fd);
	after = maildir_file_id(path);
	/* Keep the sums when this line is all that changed; past the size
	 * limit, the next read recounts. */
	if (!maildir_file_id_equal(&before, &user->sizes.id)
	    || after.size != before.size + (goffset)len
	    || after.size > MAILDIRSIZE_MAX) {
		user->sizes.id.exists = FALSE;
		return;
	}
	user->sizes.id = after;
	user->sizes.bytes += bytes;
	user->sizes.count += count;
}

/* TRUE when usage just crossed the mark and no warning was sent yet; below
 * the mark, forget that one was sent.  Caller holds user->lock. */
static gboolean
warning_due(MaildirUser *user, guint64 used, guint64 limit, gboolean grew)
{
	MaildirStore *store = user->store;
	g_autofree char *path
		= g_build_filename(user->root, MAILDIR_WARNED_FILE, NULL);
	guint64 mark = limit / 100 * store->warning_pct
	               + limit % 100 * store->warning_pct / 100;
	int fd;

	if (limit == 0 || store->warning_pct == 0)
		return FALSE;
	if (used < mark) {
		unlink(path);
		return FALSE;
	}
	if (!grew)
		return FALSE;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return FALSE;
	close(fd);
	return TRUE;
}

static GBytes *
warning_message(MaildirUser *user, guint64 used, guint64 limit)
{
	const RavenCore *core = user->store->core;
	const char *host = core->hostname ? core->hostname() : NULL;
	g_autofree char *date = core->message_date();
	g_autofree char *used_text = size_text(used);
	g_autofree char *limit_text = size_text(limit);
	char *text;

	host = host ? host : g_get_host_name();
	text = g_strdup_printf(
		"From: Postmaster <postmaster@%s>\r\n"
		"To: <%s>\r\n"
		"Subject: Your mailbox is %u %% full\r\n"
		"Date: %s\r\n"
		"Message-ID: <quota-warning.%" G_GINT64_FORMAT "@%s>\r\n"
		"Auto-Submitted: auto-generated\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=us-ascii\r\n"
		"\r\n"
		"Your mailbox uses %s of its %s (%" G_GUINT64_FORMAT " %%).\r\n"
		"\r\n"
		"When it is full, new mail to you will be refused.  Please\r\n"
		"delete messages you no longer need and empty the Trash.\r\n",
		host, user->name, user->store->warning_pct, date,
		g_get_real_time(), host, used_text, limit_text,
		used * 100 / limit);
	return g_bytes_new_take(text, strlen(text));
}

void
maildir_quota_warn(MaildirUser *user, guint64 used)
{
	guint64 limit = maildir_quota_limit(user->store, user->name);
	g_autoptr(GBytes) message = warning_message(user, used, limit);
	/* Led by its time, as the core's queue ids, for the file name. */
	g_autofree char *key = g_strdup_printf(
		"%012" G_GINT64_MODIFIER "X-quota-warning", g_get_real_time());
	g_autoptr(GError) error = NULL;

	if (maildir_deliver_unchecked(user->store, user->name, "INBOX", message,
	                              key, &error)
	    == 0)
		g_warning("cannot deliver the quota warning to %s: %s",
		          user->name, error->message);
}

gboolean
maildir_quota_add_locked(MaildirUser *user,
                         gint64 bytes,
                         gint64 count,
                         guint64 *used)
{
	guint64 limit = maildir_quota_limit(user->store, user->name);
	gint64 sum = 0;
	gint64 messages;

	append_line(user, bytes, count);
	if (!usage_locked(user, &sum, &messages, NULL))
		return FALSE;
	*used = (guint64)sum;
	return warning_due(user, *used, limit, bytes > 0);
}

void
maildir_quota_add(MaildirUser *user, gint64 bytes, gint64 count)
{
	guint64 used = 0;
	gboolean warn;

	g_mutex_lock(&user->lock);
	warn = maildir_quota_add_locked(user, bytes, count, &used);
	g_mutex_unlock(&user->lock);
	/* Outside the lock: delivering it counts its size in turn. */
	if (warn)
		maildir_quota_warn(user, used);
}

void
maildir_quota_invalidate(MaildirUser *user)
{
	g_autofree char *path = size_path(user);

	g_mutex_lock(&user->lock);
	unlink(path);
	user->sizes.id.exists = FALSE;
	g_mutex_unlock(&user->lock);
}

gboolean
maildir_quota(const char *user,
              guint64 *used,
              guint64 *limit,
              gpointer data,
              GError **error)
{
	MaildirUser *owner = maildir_user_get(data, user, error);
	gint64 bytes;
	gint64 count;
	gboolean ok;

	if (owner == NULL)
		return FALSE;
	g_mutex_lock(&owner->lock);
	ok = usage_locked(owner, &bytes, &count, error);
	g_mutex_unlock(&owner->lock);
	if (ok) {
		*used = (guint64)bytes;
		*limit = maildir_quota_limit(owner->store, owner->name);
	}
	maildir_user_unref(owner);
	return ok;
}
