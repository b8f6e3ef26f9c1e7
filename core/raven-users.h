/* raven-users.h: the user database (a file under data_dir), domains, aliases.
 * SPDX-License-Identifier: MIT
 *
 * The database is the text file DATA_DIR/users, one user a line:
 *   ADDRESS:ARGON2ID-HASH:QUOTA-BYTES
 * (QUOTA-BYTES empty when the storage's default applies).  ravenctl writes it
 * atomically (temporary file, fsync, rename) under an flock on
 * DATA_DIR/users.lock; ravend rereads it when it changes.  Addresses are
 * compared in lower case.
 */
#ifndef RAVEN_USERS_H
#define RAVEN_USERS_H

#include <glib.h>

G_BEGIN_DECLS

#define RAVEN_USERS_ERROR (raven_users_error_quark())
GQuark raven_users_error_quark(void);

typedef enum {
	RAVEN_USERS_ERROR_IO,
	RAVEN_USERS_ERROR_CORRUPT,   /* a line of the file cannot be read */
	RAVEN_USERS_ERROR_EXISTS,    /* add: the user is there already */
	RAVEN_USERS_ERROR_NOT_FOUND, /* no such user */
	RAVEN_USERS_ERROR_INVALID,   /* a bad address or empty password */
	RAVEN_USERS_ERROR_DOMAIN,    /* add: the domain is not local */
} RavenUsersError;

typedef struct RavenUserDb RavenUserDb;

/* Open the database at `path` (the file need not exist yet).  `domains`
 * (NULL-terminated, nullable) are the local domains; `aliases` maps an
 * alias address to a target address (nullable; keys and values are copied).
 * (transfer full) */
RavenUserDb *raven_user_db_open(const char *path,
                                const char *const *domains,
                                GHashTable *aliases,
                                GError **error);
void raven_user_db_free(RavenUserDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenUserDb, raven_user_db_free)

/* Reread the file when its inode, size or mtime changed.  Returns TRUE when
 * it changed (the caller drops its caches).  A file that became unreadable
 * keeps the last good contents and returns FALSE with `error`. */
gboolean raven_user_db_refresh(RavenUserDb *db, GError **error);

/* Changes, each written to disk before returning.  They hash with
 * crypto_pwhash_str (Argon2id): slow, never call them on the main loop. */
gboolean raven_user_db_add(RavenUserDb *db,
                           const char *address,
                           const char *password,
                           GError **error);
gboolean raven_user_db_set_password(RavenUserDb *db,
                                    const char *address,
                                    const char *password,
                                    GError **error);
gboolean raven_user_db_set_quota(RavenUserDb *db,
                                 const char *address,
                                 guint64 bytes, /* 0: the default */
                                 GError **error);
gboolean
raven_user_db_delete(RavenUserDb *db, const char *address, GError **error);

/* The addresses of all users, sorted (transfer full). */
GStrv raven_user_db_list(RavenUserDb *db);
/* The stored hash of `address` (transfer full), or NULL. */
char *raven_user_db_get_hash(RavenUserDb *db, const char *address);
/* The user's own quota in bytes, 0 when the default applies. */
guint64 raven_user_db_get_quota(RavenUserDb *db, const char *address);
gboolean raven_user_db_exists(RavenUserDb *db, const char *address);

gboolean raven_user_db_domain_is_local(RavenUserDb *db, const char *domain);
/* The user `address` delivers to: itself when it is a user, the target of
 * an alias (followed up to 8 times), or NULL (transfer full). */
char *raven_user_db_resolve(RavenUserDb *db, const char *address);

/* Password hashing, also for tests: a crypto_pwhash_str string ($argon2id$). */
char *raven_password_hash(const char *password, GError **error);
gboolean raven_password_verify(const char *hash, const char *password);

G_END_DECLS

#endif /* RAVEN_USERS_H */
