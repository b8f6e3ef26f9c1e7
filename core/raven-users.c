/* raven-users.c: the users file, its locked atomic rewrites, and lookups.
 * SPDX-License-Identifier: MIT
 */
#ifndef _GNU_SOURCE
#	define _GNU_SOURCE /* flock(), st_mtim */
#endif

#include "raven-users.h"

#include "raven-io.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ALIAS_HOPS 8
#define MAX_ADDRESS_LEN 254
#define FILE_HEADER "# ADDRESS:ARGON2ID-HASH:QUOTA-BYTES, written by ravenctl\n"

GQuark
raven_users_error_quark(void)
{
	return g_quark_from_static_string("raven-users-error-quark");
}

typedef struct {
	char *hash;
	guint64 quota; /* 0: the storage's default */
} UserEntry;

/* One version of the file: a rename changes the inode, an edit in place
 * the size or the mtime. */
typedef struct {
	gboolean exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
} FileStamp;

struct RavenUserDb {
	char *path;
	char *lock_path;
	GStrv domains;       /* lower-cased */
	GHashTable *aliases; /* lower-cased alias → lower-cased target */
	GMutex lock;         /* guards users and stamp */
	GHashTable *users;   /* address → UserEntry */
	FileStamp stamp;
};

typedef enum {
	CHANGE_ADD,
	CHANGE_PASSWORD,
	CHANGE_QUOTA,
	CHANGE_DELETE,
} ChangeOp;

/* One change, applied under the file lock to the file as it is then. */
typedef struct {
	ChangeOp op;
	const char *address; /* lower-cased */
	const char *hash;    /* add, password */
	guint64 quota;       /* quota */
} Change;

static gboolean
fail(GError **error, RavenUsersError code, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

static gboolean
fail(GError **error, RavenUsersError code, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	g_propagate_error(error, g_error_new_valist(RAVEN_USERS_ERROR, code,
	                                            format, args));
	va_end(args);
	return FALSE;
}

/* An errno failure, named after what was tried on which file. */
static gboolean
fail_io(GError **error, const char *what, const char *path)
{
	int saved = errno;

	return fail(error, RAVEN_USERS_ERROR_IO, "cannot %s %s: %s", what, path,
	            g_strerror(saved));
}

/* ---- entries and addresses */

static UserEntry *
user_entry_new(const char *hash, guint64 quota)
{
	UserEntry *entry = g_new0(UserEntry, 1);

	entry->hash = g_strdup(hash);
	entry->quota = quota;
	return entry;
}

static void
user_entry_free(UserEntry *entry)
{
	g_free(entry->hash);
	g_free(entry);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UserEntry, user_entry_free)

static gboolean
domain_is_valid(const char *domain)
{
	return domain[0] != '\0' && domain[0] != '.'
	       && !g_str_has_suffix(domain, ".")
	       && strstr(domain, "..") == NULL;
}

/* local@domain; no ':' (the file's separator), whitespace or control
 * characters, and no leading '#' (the file would read a comment). */
static gboolean
address_is_valid(const char *address)
{
	const char *at = strchr(address, '@');
	gsize len = strlen(address);

	if (len == 0 || len > MAX_ADDRESS_LEN || address[0] == '#')
		return FALSE;
	if (at == NULL || at == address || strchr(at + 1, '@') != NULL)
		return FALSE;
	if (!g_utf8_validate(address, -1, NULL))
		return FALSE;
	for (const char *p = address; *p != '\0'; p++) {
		if (*p == ':' || g_ascii_isspace(*p) || g_ascii_iscntrl(*p))
			return FALSE;
	}
	return domain_is_valid(at + 1);
}

/* The lower-cased address (transfer full), or NULL with `error`. */
static char *
address_normalize(const char *address, GError **error)
{
	g_autofree char *shown = NULL;

	if (address_is_valid(address))
		return g_ascii_strdown(address, -1);
	shown = g_strescape(address, NULL);
	fail(error, RAVEN_USERS_ERROR_INVALID,
	     "'%s' is not an address such as user@example.org", shown);
	return NULL;
}

static const char *
address_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "";
}

/* ---- reading the file */

/* Adds the user on `line` to `users`; NULL, or what is wrong with it. */
static const char *
parse_user(GHashTable *users, const char *line)
{
	g_auto(GStrv) fields = g_strsplit(line, ":", -1);
	g_autofree char *address = NULL;
	guint64 quota = 0;

	if (g_strv_length(fields) != 3)
		return "expected ADDRESS:HASH:QUOTA";
	address = address_normalize(fields[0], NULL);
	if (address == NULL)
		return "not an address";
	if (fields[1][0] == '\0' || strpbrk(fields[1], " \t") != NULL)
		return "bad password hash";
	if (fields[2][0] != '\0'
	    && !g_ascii_string_to_unsigned(fields[2], 10, 0, G_MAXUINT64,
	                                   &quota, NULL))
		return "the quota is not a number of bytes";
	if (g_hash_table_contains(users, address))
		return "the user is listed twice";
	g_hash_table_insert(users, g_steal_pointer(&address),
	                    user_entry_new(fields[1], quota));
	return NULL;
}

static GHashTable *
parse_users(const char *path, const char *text, GError **error)
{
	g_autoptr(GHashTable) users
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                (GDestroyNotify)user_entry_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = g_strstrip(lines[i]);
		const char *problem;

		if (line[0] == '\0' || line[0] == '#')
			continue;
		problem = parse_user(users, line);
		if (problem != NULL) {
			fail(error, RAVEN_USERS_ERROR_CORRUPT, "%s:%u: %s",
			     path, i + 1, problem);
			return NULL;
		}
	}
	return g_steal_pointer(&users);
}

static gboolean
stamp_read(const char *path, FileStamp *stamp, GError **error)
{
	struct stat st;

	memset(stamp, 0, sizeof *stamp);
	if (stat(path, &st) < 0)
		return errno == ENOENT || fail_io(error, "read", path);
	stamp->exists = TRUE;
	stamp->dev = st.st_dev;
	stamp->ino = st.st_ino;
	stamp->size = st.st_size;
	stamp->mtime = st.st_mtim;
	return TRUE;
}

static gboolean
stamp_equal(const FileStamp *a, const FileStamp *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino
	       && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec
	       && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* The users as the file holds them now, and its stamp, taken first: a
 * change in between only costs one more reading.  A missing file is an
 * empty one. */
static GHashTable *
read_users(const char *path, FileStamp *stamp, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *text = NULL;

	if (!stamp_read(path, stamp, error))
		return NULL;
	if (!stamp->exists)
		return parse_users(path, "", error);
	if (!g_file_get_contents(path, &text, NULL, &local)) {
		fail(error, RAVEN_USERS_ERROR_IO, "%s", local->message);
		return NULL;
	}
	return parse_users(path, text, error);
}

/* ---- writing the file */

/* For qsort() over an array of strings. */
static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static GString *
format_users(GHashTable *users)
{
	GString *out = g_string_new(FILE_HEADER);
	g_autofree gpointer *keys = NULL;
	guint count;

	keys = g_hash_table_get_keys_as_array(users, &count);
	qsort(keys, count, sizeof *keys, compare_strings);
	for (guint i = 0; i < count; i++) {
		const UserEntry *entry = g_hash_table_lookup(users, keys[i]);

		g_string_append_printf(out, "%s:%s:", (char *)keys[i],
		                       entry->hash);
		if (entry->quota > 0)
			g_string_append_printf(out, "%" G_GUINT64_FORMAT,
			                       entry->quota);
		g_string_append_c(out, '\n');
	}
	return out;
}

static gboolean
sync_folder(const char *path, GError **error)
{
	g_autofree char *folder = g_path_get_dirname(path);
	int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gboolean ok = fd >= 0 && fsync(fd) == 0;

	if (!ok)
		fail_io(error, "sync", folder);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* PATH.tmp, fsync, rename over PATH, fsync the folder. */
static gboolean
write_atomically(const char *path, const GString *text, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	gboolean ok;

	if (fd < 0)
		return fail_io(error, "create", tmp);
	ok = fchmod(fd, 0600) == 0 && raven_write_all(fd, text->str, text->len)
	     && fsync(fd) == 0;
	if (!ok)
		fail_io(error, "write", tmp);
	close(fd);
	if (ok && rename(tmp, path) < 0)
		ok = fail_io(error, "replace", path);
	if (!ok)
		unlink(tmp);
	return ok && sync_folder(path, error);
}

/* An exclusive flock on PATH.lock: the descriptor, or -1 with `error`. */
static int
lock_file(const char *lock_path, GError **error)
{
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		fail_io(error, "open", lock_path);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			fail_io(error, "lock", lock_path);
			close(fd);
			return -1;
		}
	}
	return fd;
}

static gboolean
apply_change(GHashTable *users, const Change *change, GError **error)
{
	UserEntry *entry = g_hash_table_lookup(users, change->address);

	if (change->op == CHANGE_ADD && entry != NULL)
		return fail(error, RAVEN_USERS_ERROR_EXISTS,
		            "user '%s' exists already", change->address);
	if (change->op != CHANGE_ADD && entry == NULL)
		return fail(error, RAVEN_USERS_ERROR_NOT_FOUND, "no user '%s'",
		            change->address);
	switch (change->op) {
	case CHANGE_ADD:
		g_hash_table_insert(users, g_strdup(change->address),
		                    user_entry_new(change->hash, 0));
		break;
	case CHANGE_PASSWORD:
		g_free(entry->hash);
		entry->hash = g_strdup(change->hash);
		break;
	case CHANGE_QUOTA:
		entry->quota = change->quota;
		break;
	case CHANGE_DELETE:
		g_hash_table_remove(users, change->address);
		break;
	}
	return TRUE;
}

static void
db_install(RavenUserDb *db, GHashTable *users, const FileStamp *stamp)
{
	g_mutex_lock(&db->lock);
	g_clear_pointer(&db->users, g_hash_table_unref);
	db->users = users;
	db->stamp = *stamp;
	g_mutex_unlock(&db->lock);
}

/* Under the file lock: reread, change, write, and keep the result. */
static gboolean
db_change(RavenUserDb *db, const Change *change, GError **error)
{
	g_autoptr(GHashTable) users = NULL;
	g_autoptr(GString) text = NULL;
	FileStamp stamp;
	gboolean ok;
	int lock_fd = lock_file(db->lock_path, error);

	if (lock_fd < 0)
		return FALSE;
	users = read_users(db->path, &stamp, error);
	ok = users != NULL && apply_change(users, change, error);
	if (ok) {
		text = format_users(users);
		ok = write_atomically(db->path, text, error)
		     && stamp_read(db->path, &stamp, error);
	}
	if (ok)
		db_install(db, g_steal_pointer(&users), &stamp);
	close(lock_fd);
	return ok;
}

/* ---- the database */

static GHashTable *
aliases_copy(GHashTable *aliases)
{
	GHashTable *copy = g_hash_table_new_full(g_str_hash, g_str_equal,
	                                         g_free, g_free);
	GHashTableIter iter;
	gpointer key, value;

	if (aliases == NULL)
		return copy;
	g_hash_table_iter_init(&iter, aliases);
	while (g_hash_table_iter_next(&iter, &key, &value))
		g_hash_table_replace(copy, g_ascii_strdown(key, -1),
		                     g_ascii_strdown(value, -1));
	return copy;
}

static GStrv
domains_copy(const char *const *domains)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	for (guint i = 0; domains != NULL && domains[i] != NULL; i++) {
		g_autofree char *lower = g_ascii_strdown(domains[i], -1);

		g_strv_builder_add(builder, lower);
	}
	return g_strv_builder_end(builder);
}

RavenUserDb *
raven_user_db_open(const char *path,
                   const char *const *domains,
                   GHashTable *aliases,
                   GError **error)
{
	RavenUserDb *db;
	FileStamp stamp;
	GHashTable *users;

	g_return_val_if_fail(path != NULL, NULL);
	users = read_users(path, &stamp, error);
	if (users == NULL)
		return NULL;
	db = g_new0(RavenUserDb, 1);
	g_mutex_init(&db->lock);
	db->path = g_strdup(path);
	db->lock_path = g_strconcat(path, ".lock", NULL);
	db->domains = domains_copy(domains);
	db->aliases = aliases_copy(aliases);
	db->users = users;
	db->stamp = stamp;
	return db;
}

void
raven_user_db_free(RavenUserDb *db)
{
	if (db == NULL)
		return;
	g_clear_pointer(&db->users, g_hash_table_unref);
	g_clear_pointer(&db->aliases, g_hash_table_unref);
	g_strfreev(db->domains);
	g_free(db->lock_path);
	g_free(db->path);
	g_mutex_clear(&db->lock);
	g_free(db);
}

gboolean
raven_user_db_refresh(RavenUserDb *db, GError **error)
{
	FileStamp stamp;
	GHashTable *users;
	gboolean same;

	g_return_val_if_fail(db != NULL, FALSE);
	if (!stamp_read(db->path, &stamp, error))
		return FALSE;
	g_mutex_lock(&db->lock);
	same = stamp_equal(&stamp, &db->stamp);
	g_mutex_unlock(&db->lock);
	if (same)
		return FALSE;
	users = read_users(db->path, &stamp, error);
	if (users == NULL)
		return FALSE;
	db_install(db, users, &stamp);
	return TRUE;
}

gboolean
raven_user_db_add(RavenUserDb *db,
                  const char *address,
                  const char *password,
                  GError **error)
{
	g_autofree char *normal = NULL;
	g_autofree char *hash = NULL;
	const char *domain;

	g_return_val_if_fail(db != NULL && address != NULL, FALSE);
	g_return_val_if_fail(password != NULL, FALSE);
	normal = address_normalize(address, error);
	if (normal == NULL)
		return FALSE;
	domain = address_domain(normal);
	if (db->domains[0] != NULL
	    && !g_strv_contains((const char *const *)db->domains, domain))
		return fail(error, RAVEN_USERS_ERROR_DOMAIN,
		            "%s is not a local domain", domain);
	/* Refuse before the slow hash when the user is plainly there. */
	raven_user_db_refresh(db, NULL);
	if (raven_user_db_exists(db, normal))
		return fail(error, RAVEN_USERS_ERROR_EXISTS,
		            "user '%s' exists already", normal);
	hash = raven_password_hash(password, error);
	return hash != NULL
	       && db_change(db, &(Change){ CHANGE_ADD, normal, hash, 0 },
	                    error);
}

/* A change to an existing user, by any spelling of its address. */
static gboolean
change_user(RavenUserDb *db, Change *change, GError **error)
{
	g_autofree char *normal = g_ascii_strdown(change->address, -1);

	change->address = normal;
	return db_change(db, change, error);
}

gboolean
raven_user_db_set_password(RavenUserDb *db,
                           const char *address,
                           const char *password,
                           GError **error)
{
	g_autofree char *hash = NULL;

	g_return_val_if_fail(db != NULL && address != NULL, FALSE);
	g_return_val_if_fail(password != NULL, FALSE);
	hash = raven_password_hash(password, error);
	return hash != NULL
	       && change_user(db,
	                      &(Change){ CHANGE_PASSWORD, address, hash, 0 },
	                      error);
}

gboolean
raven_user_db_set_quota(RavenUserDb *db,
                        const char *address,
                        guint64 bytes,
                        GError **error)
{
	g_return_val_if_fail(db != NULL && address != NULL, FALSE);
	return change_user(db, &(Change){ CHANGE_QUOTA, address, NULL, bytes },
	                   error);
}

gboolean
raven_user_db_delete(RavenUserDb *db, const char *address, GError **error)
{
	g_return_val_if_fail(db != NULL && address != NULL, FALSE);
	return change_user(db, &(Change){ CHANGE_DELETE, address, NULL, 0 },
	                   error);
}

GStrv
raven_user_db_list(RavenUserDb *db)
{
	g_autofree gpointer *keys = NULL;
	GStrv list;
	guint count;

	g_return_val_if_fail(db != NULL, NULL);
	g_mutex_lock(&db->lock);
	keys = g_hash_table_get_keys_as_array(db->users, &count);
	list = g_new0(char *, count + 1);
	for (guint i = 0; i < count; i++)
		list[i] = g_strdup(keys[i]);
	g_mutex_unlock(&db->lock);
	qsort(list, count, sizeof *list, compare_strings);
	return list;
}

/* A copy of the user's entry (transfer full), or NULL. */
static UserEntry *
entry_copy(RavenUserDb *db, const char *address)
{
	g_autofree char *normal = g_ascii_strdown(address, -1);
	const UserEntry *entry;
	UserEntry *copy = NULL;

	g_mutex_lock(&db->lock);
	entry = g_hash_table_lookup(db->users, normal);
	if (entry != NULL)
		copy = user_entry_new(entry->hash, entry->quota);
	g_mutex_unlock(&db->lock);
	return copy;
}

char *
raven_user_db_get_hash(RavenUserDb *db, const char *address)
{
	g_autoptr(UserEntry) entry = NULL;

	g_return_val_if_fail(db != NULL && address != NULL, NULL);
	entry = entry_copy(db, address);
	return entry != NULL ? g_steal_pointer(&entry->hash) : NULL;
}

guint64
raven_user_db_get_quota(RavenUserDb *db, const char *address)
{
	g_autoptr(UserEntry) entry = NULL;

	g_return_val_if_fail(db != NULL && address != NULL, 0);
	entry = entry_copy(db, address);
	return entry != NULL ? entry->quota : 0;
}

gboolean
raven_user_db_exists(RavenUserDb *db, const char *address)
{
	g_autoptr(UserEntry) entry = NULL;

	g_return_val_if_fail(db != NULL && address != NULL, FALSE);
	entry = entry_copy(db, address);
	return entry != NULL;
}

/* With no domains configured, those of the users are the local ones. */
gboolean
raven_user_db_domain_is_local(RavenUserDb *db, const char *domain)
{
	g_autofree char *lower = NULL;
	GHashTableIter iter;
	gpointer key;
	gboolean found = FALSE;

	g_return_val_if_fail(db != NULL && domain != NULL, FALSE);
	lower = g_ascii_strdown(domain, -1);
	if (db->domains[0] != NULL)
		return g_strv_contains((const char *const *)db->domains, lower);
	g_mutex_lock(&db->lock);
	g_hash_table_iter_init(&iter, db->users);
	while (!found && g_hash_table_iter_next(&iter, &key, NULL))
		found = g_str_equal(address_domain(key), lower);
	g_mutex_unlock(&db->lock);
	return found;
}

/* "user+detail@domain" without its detail (transfer full), or NULL. */
static char *
strip_detail(const char *address)
{
	const char *plus = strchr(address, '+');
	const char *at = strrchr(address, '@');

	if (plus == NULL || at == NULL || plus > at || plus == address)
		return NULL;
	return g_strdup_printf("%.*s%s", (int)(plus - address), address, at);
}

/* The next address on the way from `address` to a user, or NULL. */
static char *
resolve_step(RavenUserDb *db, const char *address)
{
	const char *target = g_hash_table_lookup(db->aliases, address);

	return target != NULL ? g_strdup(target) : strip_detail(address);
}

char *
raven_user_db_resolve(RavenUserDb *db, const char *address)
{
	char *current;

	g_return_val_if_fail(db != NULL && address != NULL, NULL);
	current = g_ascii_strdown(address, -1);
	g_mutex_lock(&db->lock);
	for (guint hops = 0; current != NULL; hops++) {
		char *next;

		if (g_hash_table_contains(db->users, current))
			break;
		next = hops < MAX_ALIAS_HOPS ? resolve_step(db, current) : NULL;
		g_free(current);
		current = next;
	}
	g_mutex_unlock(&db->lock);
	return current;
}

/* ---- passwords */

char *
raven_password_hash(const char *password, GError **error)
{
	char hash[crypto_pwhash_STRBYTES];

	g_return_val_if_fail(password != NULL, NULL);
	raven_sodium_init();
	if (password[0] == '\0') {
		fail(error, RAVEN_USERS_ERROR_INVALID, "the password is empty");
		return NULL;
	}
	if (crypto_pwhash_str(hash, password, strlen(password),
	                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE)
	    != 0) {
		fail(error, RAVEN_USERS_ERROR_IO,
		     "cannot hash the password: out of memory");
		return NULL;
	}
	return g_strdup(hash);
}

gboolean
raven_password_verify(const char *hash, const char *password)
{
	g_return_val_if_fail(hash != NULL && password != NULL, FALSE);
	raven_sodium_init();
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
