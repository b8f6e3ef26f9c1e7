/* test-users.c: the user database file, addresses, aliases and hashes.
 * SPDX-License-Identifier: MIT
 */
#include "raven-users.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const local_domains[]
	= { "example.org", "example.net", NULL };

typedef struct {
	char *dir;
	char *path;
	RavenUserDb *db;
} Fixture;

/* One hash of "secret", made once: Argon2id is slow on purpose. */
static char *secret_hash;

static const char *
get_secret_hash(void)
{
	if (secret_hash == NULL)
		secret_hash = raven_password_hash("secret", NULL);
	g_assert_nonnull(secret_hash);
	return secret_hash;
}

static RavenUserDb *
open_db(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) aliases
		= g_hash_table_new(g_str_hash, g_str_equal);
	RavenUserDb *db;

	g_hash_table_insert(aliases, "Postmaster@example.org",
	                    "alice@example.org");
	g_hash_table_insert(aliases, "sales@example.org",
	                    "postmaster@example.org");
	g_hash_table_insert(aliases, "loop1@example.org", "loop2@example.org");
	g_hash_table_insert(aliases, "loop2@example.org", "loop1@example.org");
	db = raven_user_db_open(f->path, local_domains, aliases, &error);
	g_assert_no_error(error);
	return db;
}

/* Writes the users file by hand, each line `address:HASH:quota` with the
 * hash of "secret" put in for HASH. */
static void
write_file(Fixture *f, const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) s = g_string_new(text);

	g_string_replace(s, "HASH", get_secret_hash(), 0);
	g_file_set_contents(f->path, s->str, -1, &error);
	g_assert_no_error(error);
}

static void
setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("raven-users-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "users", NULL);
	if (data != NULL)
		write_file(f, data);
	f->db = open_db(f);
}

static void
teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
	const char *name;

	g_clear_pointer(&f->db, raven_user_db_free);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(f->dir, name, NULL);

		g_unlink(path);
	}
	g_rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

static void
add_user(RavenUserDb *db, const char *address, const char *password)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(raven_user_db_add(db, address, password, &error));
	g_assert_no_error(error);
}

static void
test_add(Fixture *f, gconstpointer data)
{
	g_autofree char *hash = NULL;
	g_auto(GStrv) list = NULL;
	struct stat st;

	add_user(f->db, "Alice@Example.ORG", "correct horse");
	g_assert_true(raven_user_db_exists(f->db, "alice@example.org"));
	g_assert_true(raven_user_db_exists(f->db, "ALICE@example.org"));
	list = raven_user_db_list(f->db);
	g_assert_cmpstrv(list,
	                 ((const char *const[]){ "alice@example.org", NULL }));
	hash = raven_user_db_get_hash(f->db, "alice@example.org");
	g_assert_true(g_str_has_prefix(hash, "$argon2id$"));
	g_assert_true(raven_password_verify(hash, "correct horse"));
	g_assert_false(raven_password_verify(hash, "correct horse "));
	g_assert_cmpint(g_stat(f->path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
}

static void
test_authenticate(Fixture *f, gconstpointer data)
{
	g_autofree char *hash
		= raven_user_db_get_hash(f->db, "bob@example.org");

	g_assert_true(raven_password_verify(hash, "secret"));
	g_assert_false(raven_password_verify(hash, "Secret"));
	g_assert_false(raven_password_verify(hash, ""));
	g_assert_null(raven_user_db_get_hash(f->db, "nobody@example.org"));
}

static void
test_delete(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(raven_user_db_delete(f->db, "BOB@example.org", &error));
	g_assert_no_error(error);
	g_assert_false(raven_user_db_exists(f->db, "bob@example.org"));
	g_assert_true(raven_user_db_exists(f->db, "carol@example.org"));
	g_assert_false(raven_user_db_delete(f->db, "bob@example.org", &error));
	g_assert_error(error, RAVEN_USERS_ERROR, RAVEN_USERS_ERROR_NOT_FOUND);
}

static void
test_list_sorted(Fixture *f, gconstpointer data)
{
	g_auto(GStrv) list = raven_user_db_list(f->db);

	g_assert_cmpstrv(list, ((const char *const[]){
				       "alice@example.org", "bob@example.org",
				       "carol@example.org", NULL }));
	g_assert_cmpuint(raven_user_db_get_quota(f->db, "carol@example.org"),
	                 ==, 1048576);
	g_assert_cmpuint(raven_user_db_get_quota(f->db, "bob@example.org"), ==,
	                 0);
}

static void
test_quota(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenUserDb) again = NULL;
	g_autofree char *text = NULL;

	g_assert_true(raven_user_db_set_quota(f->db, "bob@example.org",
	                                      25 << 20, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(raven_user_db_get_quota(f->db, "bob@example.org"), ==,
	                 25 << 20);
	g_assert_true(
		raven_user_db_set_quota(f->db, "carol@example.org", 0, &error));
	g_assert_true(g_file_get_contents(f->path, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "\nbob@example.org:$argon2id$"));
	g_assert_nonnull(strstr(text, ":26214400\ncarol@example.org:$"));
	g_assert_true(g_str_has_suffix(text, ":\n"));
	again = open_db(f);
	g_assert_cmpuint(raven_user_db_get_quota(again, "bob@example.org"), ==,
	                 25 << 20);
	g_assert_cmpuint(raven_user_db_get_quota(again, "carol@example.org"),
	                 ==, 0);
	g_assert_false(raven_user_db_set_quota(f->db, "nobody@example.org", 1,
	                                       &error));
	g_assert_error(error, RAVEN_USERS_ERROR, RAVEN_USERS_ERROR_NOT_FOUND);
}

static void
test_duplicate(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(
		raven_user_db_add(f->db, "Bob@EXAMPLE.org", "x", &error));
	g_assert_error(error, RAVEN_USERS_ERROR, RAVEN_USERS_ERROR_EXISTS);
}

static void
test_bad_addresses(Fixture *f, gconstpointer data)
{
	static const char *const bad[] = {
		"",
		"alice",
		"@example.org",
		"alice@",
		"al ice@example.org",
		"al:ice@example.org",
		"alice@example.org\n",
		"al\tice@example.org",
		"a@b@example.org",
		"#alice@example.org",
		"alice@.example.org",
		"alice@example..org",
		"alice@example.org.",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		g_assert_false(raven_user_db_add(f->db, bad[i], "x", &error));
		g_assert_error(error, RAVEN_USERS_ERROR,
		               RAVEN_USERS_ERROR_INVALID);
	}
	{
		g_autoptr(GError) error = NULL;

		g_assert_false(raven_user_db_add(f->db, "dave@example.org", "",
		                                 &error));
		g_assert_error(error, RAVEN_USERS_ERROR,
		               RAVEN_USERS_ERROR_INVALID);
	}
	g_assert_false(raven_user_db_exists(f->db, "dave@example.org"));
}

static void
test_non_local_domain(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(
		raven_user_db_add(f->db, "eve@elsewhere.com", "x", &error));
	g_assert_error(error, RAVEN_USERS_ERROR, RAVEN_USERS_ERROR_DOMAIN);
	g_assert_true(raven_user_db_domain_is_local(f->db, "Example.NET"));
	g_assert_false(raven_user_db_domain_is_local(f->db, "elsewhere.com"));
}

static void
assert_resolves(RavenUserDb *db, const char *address, const char *user)
{
	g_autofree char *got = raven_user_db_resolve(db, address);

	g_assert_cmpstr(got, ==, user);
}

static void
test_resolve(Fixture *f, gconstpointer data)
{
	assert_resolves(f->db, "alice@example.org", "alice@example.org");
	assert_resolves(f->db, "ALICE@Example.org", "alice@example.org");
	assert_resolves(f->db, "postmaster@example.org", "alice@example.org");
	assert_resolves(f->db, "sales@example.org", "alice@example.org");
	assert_resolves(f->db, "alice+lists@example.org", "alice@example.org");
	assert_resolves(f->db, "sales+x@example.org", "alice@example.org");
	assert_resolves(f->db, "nobody@example.org", NULL);
	assert_resolves(f->db, "nobody+x@example.org", NULL);
	assert_resolves(f->db, "+x@example.org", NULL);
	assert_resolves(f->db, "loop1@example.org", NULL);
}

/* Eight alias hops are followed, a ninth is not. */
static void
test_resolve_hops(Fixture *f, gconstpointer data)
{
	g_autoptr(GHashTable) aliases = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(RavenUserDb) db = NULL;

	for (guint i = 1; i <= 9; i++)
		g_hash_table_insert(
			aliases, g_strdup_printf("a%u@example.org", i),
			i == 9 ? g_strdup("alice@example.org")
			       : g_strdup_printf("a%u@example.org", i + 1));
	db = raven_user_db_open(f->path, NULL, aliases, NULL);
	assert_resolves(db, "a2@example.org", "alice@example.org");
	assert_resolves(db, "a1@example.org", NULL);
}

static void
test_persist(Fixture *f, gconstpointer data)
{
	g_autofree char *hash = NULL;

	add_user(f->db, "dave@example.net", "hunter2");
	g_clear_pointer(&f->db, raven_user_db_free);
	f->db = open_db(f);
	g_assert_true(raven_user_db_exists(f->db, "dave@example.net"));
	g_assert_true(raven_user_db_exists(f->db, "bob@example.org"));
	hash = raven_user_db_get_hash(f->db, "dave@example.net");
	g_assert_true(raven_password_verify(hash, "hunter2"));
}

static void
test_refresh(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenUserDb) other = open_db(f);

	g_assert_false(raven_user_db_refresh(f->db, &error));
	g_assert_no_error(error);
	g_assert_true(raven_user_db_delete(other, "bob@example.org", &error));
	g_assert_true(raven_user_db_exists(f->db, "bob@example.org"));
	g_assert_true(raven_user_db_refresh(f->db, &error));
	g_assert_no_error(error);
	g_assert_false(raven_user_db_exists(f->db, "bob@example.org"));
	g_assert_false(raven_user_db_refresh(f->db, &error));
	g_assert_no_error(error);
}

static void
test_corrupt(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *where = g_strconcat(f->path, ":3:", NULL);
	RavenUserDb *db;

	write_file(f, "# users\nbob@example.org:HASH:\nbob@example.org\n");
	db = raven_user_db_open(f->path, NULL, NULL, &error);
	g_assert_null(db);
	g_assert_error(error, RAVEN_USERS_ERROR, RAVEN_USERS_ERROR_CORRUPT);
	g_assert_true(g_str_has_prefix(error->message, where));
	/* A handle that read a good version keeps it. */
	g_clear_error(&error);
	g_assert_false(raven_user_db_refresh(f->db, &error));
	g_assert_error(error, RAVEN_USERS_ERROR, RAVEN_USERS_ERROR_CORRUPT);
	g_assert_true(raven_user_db_exists(f->db, "carol@example.org"));
}

static void
test_corrupt_lines(void)
{
	static const char *const bad[] = {
		"bob@example.org:HASH\n",
		"bob@example.org:HASH:1:2\n",
		"bob:HASH:\n",
		"bob@example.org::\n",
		"bob@example.org:HASH:ten\n",
		"bob@example.org:HASH:\nBOB@example.org:HASH:\n",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		Fixture f = { 0 };
		g_autoptr(GError) error = NULL;

		setup(&f, NULL);
		write_file(&f, bad[i]);
		g_clear_pointer(&f.db, raven_user_db_free);
		f.db = raven_user_db_open(f.path, NULL, NULL, &error);
		g_assert_null(f.db);
		g_assert_error(error, RAVEN_USERS_ERROR,
		               RAVEN_USERS_ERROR_CORRUPT);
		teardown(&f, NULL);
	}
}

static void
test_hash(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *hash = raven_password_hash("pässword", &error);

	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(hash, "$argon2id$"));
	g_assert_true(raven_password_verify(hash, "pässword"));
	g_assert_false(raven_password_verify(hash, "password"));
	g_assert_false(raven_password_verify("not a hash", "password"));
	g_assert_null(raven_password_hash("", &error));
	g_assert_error(error, RAVEN_USERS_ERROR, RAVEN_USERS_ERROR_INVALID);
}

#define USERS_FILE                                                             \
	"# three users\n"                                                      \
	"carol@example.org:HASH:1048576\n"                                     \
	"\n"                                                                   \
	"Bob@example.org:HASH:\r\n"                                            \
	"alice@example.org:HASH:\n"

static void
add_test(const char *path,
         const char *file,
         void (*func)(Fixture *, gconstpointer))
{
	g_test_add(path, Fixture, file, setup, func, teardown);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	add_test("/users/add", NULL, test_add);
	add_test("/users/authenticate", USERS_FILE, test_authenticate);
	add_test("/users/delete", USERS_FILE, test_delete);
	add_test("/users/list-sorted", USERS_FILE, test_list_sorted);
	add_test("/users/quota", USERS_FILE, test_quota);
	add_test("/users/duplicate-refused", USERS_FILE, test_duplicate);
	add_test("/users/bad-addresses-refused", NULL, test_bad_addresses);
	add_test("/users/non-local-domain-refused", NULL,
	         test_non_local_domain);
	add_test("/users/resolve", USERS_FILE, test_resolve);
	add_test("/users/resolve-hops", USERS_FILE, test_resolve_hops);
	add_test("/users/persist", USERS_FILE, test_persist);
	add_test("/users/refresh", USERS_FILE, test_refresh);
	add_test("/users/corrupt", USERS_FILE, test_corrupt);
	g_test_add_func("/users/corrupt-lines", test_corrupt_lines);
	g_test_add_func("/users/hash", test_hash);
	rc = g_test_run();
	g_free(secret_hash);
	return rc;
}
