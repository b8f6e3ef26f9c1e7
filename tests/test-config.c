/* test-config.c: unit tests of raven.yaml loading, validation and getters.
 * SPDX-License-Identifier: MIT
 */
/* White-box: the typed values validation stores are checked too. */
#include "raven-config-private.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * A sample schema, shaped like the core's and a few plugins'.
 */
static const char *const log_levels[]
	= { "debug", "info", "warning", "error", NULL };

static const RavenConfigKey server_keys[] = {
	{ "hostname", RAVEN_CONFIG_STRING, RAVEN_CONFIG_REQUIRED, NULL, NULL },
	{ "data_dir", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "user", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "workers", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "debug", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ "timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "log_level", RAVEN_CONFIG_STRING, 0, NULL, log_levels },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey tls_keys[] = {
	{ "certificate", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "key", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey a_string
	= { NULL, RAVEN_CONFIG_STRING, 0, NULL, NULL };
static const RavenConfigKey an_address
	= { NULL, RAVEN_CONFIG_ADDRESS, 0, NULL, NULL };

/* The top level; each section under plugins: is checked on its own. */
static const RavenConfigKey top_keys[] = {
	{ "server", RAVEN_CONFIG_MAP, 0, server_keys, NULL },
	{ "domains", RAVEN_CONFIG_LIST, 0, &a_string, NULL },
	{ "tls", RAVEN_CONFIG_MAP, 0, tls_keys, NULL },
	{ "plugins", RAVEN_CONFIG_DICT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey smtp_keys[] = {
	RAVEN_CONFIG_LISTEN_KEY,
	{ "max_message_size", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
	{ "timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "routes", RAVEN_CONFIG_DICT, 0, &an_address, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey imap_keys[] = {
	RAVEN_CONFIG_LISTEN_KEY,
	{ "allow_plaintext_auth", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey maildir_keys[] = {
	{ "quota", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
	{ "fsync", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey no_keys[] = {
	{ NULL, 0, 0, NULL, NULL },
};

static const struct {
	const char *name;
	const RavenConfigKey *keys;
} plugin_schemas[] = {
	{ "smtp", smtp_keys },       { "imap", imap_keys },
	{ "maildir", maildir_keys }, { "spam", no_keys },
	{ "crypt", no_keys },
};

/* ------------------------------------------------------------------------
 * Helpers
 */
/* The data folder, ending in a separator (transfer full). */
static char *
data_folder(void)
{
	const char *srcdir = g_getenv("RAVEN_SRCDIR");

	return g_build_filename(srcdir ? srcdir : ".", "tests", "data",
	                        "config", G_DIR_SEPARATOR_S, NULL);
}

static char *
data_path(const char *name)
{
	const char *srcdir = g_getenv("RAVEN_SRCDIR");

	return g_build_filename(srcdir ? srcdir : ".", "tests", "data",
	                        "config", name, NULL);
}

static RavenConfig *
load_good(const char *name)
{
	g_autofree char *path = data_path(name);
	g_autoptr(GError) error = NULL;
	RavenConfig *config = raven_config_load(path, &error);

	g_assert_no_error(error);
	g_assert_nonnull(config);
	return config;
}

/* Validates the top level, then each plugin's section, as the core does. */
static void
validate_all(RavenConfig *config, GPtrArray *problems)
{
	const RavenConfigNode *root = raven_config_root(config);
	const RavenConfigNode *plugins = raven_config_get(root, "plugins");

	raven_config_validate(config, root, top_keys, NULL, problems);
	for (guint i = 0; i < raven_config_length(plugins); i++) {
		const char *name = raven_config_key(plugins, i);
		g_autofree char *where = g_strconcat("plugins.", name, NULL);

		for (gsize j = 0; j < G_N_ELEMENTS(plugin_schemas); j++) {
			if (strcmp(plugin_schemas[j].name, name) != 0)
				continue;
			raven_config_validate(
				config, raven_config_item(plugins, i),
				plugin_schemas[j].keys, where, problems);
		}
	}
}

/* Every problem of a file, load errors included, with paths made relative
 * to the data folder so expectations do not depend on the source tree. */
static GPtrArray *
problems_of(const char *name)
{
	g_autofree char *path = data_path(name);
	g_autofree char *folder = data_folder();
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) config = raven_config_load(path, &error);
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);

	if (config == NULL)
		g_ptr_array_add(problems, g_strdup(error->message));
	else
		validate_all(config, problems);
	for (guint i = 0; i < problems->len; i++) {
		char *problem = problems->pdata[i];

		g_assert_true(g_str_has_prefix(problem, folder));
		memmove(problem, problem + strlen(folder),
		        strlen(problem) - strlen(folder) + 1);
	}
	return problems;
}

static void
assert_problems(GPtrArray *problems, const char *const *expected)
{
	guint i;

	for (i = 0; expected[i] != NULL; i++) {
		g_assert_cmpuint(i, <, problems->len);
		g_assert_cmpstr(problems->pdata[i], ==, expected[i]);
	}
	g_assert_cmpuint(problems->len, ==, i);
}

/* ------------------------------------------------------------------------
 * Bad files: each with every message it must give, in order.
 */
typedef struct {
	const char *file;
	const char *messages[8];
} BadFile;

static const BadFile bad_files[] = {
	{ "bad-unknown-key.yaml",
	  { "bad-unknown-key.yaml:5:5: unknown key 'listn' in plugins.smtp; "
	    "did you mean 'listen'?" } },
	{ "bad-unknown-key-far.yaml",
	  { "bad-unknown-key-far.yaml:5:5: unknown key 'frobnicate' in "
	    "plugins.smtp (known: listen, max_message_size, timeout, "
	    "routes)" } },
	{ "bad-int.yaml",
	  { "bad-int.yaml:3:12: 'workers' must be a whole number, not "
	    "'abc'" } },
	{ "bad-int-overflow.yaml",
	  { "bad-int-overflow.yaml:3:12: 'workers' must be a whole number, not "
	    "'9223372036854775808'" } },
	{ "bad-bool.yaml",
	  { "bad-bool.yaml:3:10: 'debug' must be true or false, not "
	    "'maybe'" } },
	{ "bad-size.yaml",
	  { "bad-size.yaml:3:12: 'quota' must be a size such as 25M or 1G, not "
	    "'25Q'" } },
	{ "bad-size-overflow.yaml",
	  { "bad-size-overflow.yaml:3:12: 'quota' must be a size such as 25M "
	    "or "
	    "1G, not '99999999999999999999G'" } },
	{ "bad-duration.yaml",
	  { "bad-duration.yaml:3:12: 'timeout' must be a duration such as 30s, "
	    "5m or 500ms, not '5 minutes'" } },
	{ "bad-address.yaml",
	  { "bad-address.yaml:4:20: 'remote.test' must be an address such as "
	    "127.0.0.1:25 or [::1]:25, not '127.0.0.1:99999'" } },
	{ "bad-choice.yaml",
	  { "bad-choice.yaml:3:14: 'log_level' must be one of debug, info, "
	    "warning, error, not 'loud'" } },
	{ "bad-duplicate-key.yaml",
	  { "bad-duplicate-key.yaml:4:3: duplicate key 'hostname' (first at "
	    "line "
	    "2)" } },
	{ "bad-missing-required.yaml",
	  { "bad-missing-required.yaml:2:3: missing required key 'hostname' in "
	    "server" } },
	{ "bad-null-section.yaml",
	  { "bad-null-section.yaml:2:1: missing required key 'hostname' in "
	    "server" } },
	{ "bad-null-required.yaml",
	  { "bad-null-required.yaml:2:3: 'hostname' must have a value" } },
	{ "bad-not-map.yaml",
	  { "bad-not-map.yaml:1:9: 'server' must be a map" } },
	{ "bad-not-list.yaml",
	  { "bad-not-list.yaml:3:10: 'domains' must be a list" } },
	{ "bad-not-scalar.yaml",
	  { "bad-not-scalar.yaml:2:13: 'hostname' must be a single value" } },
	{ "bad-alias.yaml",
	  { "bad-alias.yaml:2:13: YAML anchors and aliases are not allowed" } },
	{ "bad-anchor.yaml",
	  { "bad-anchor.yaml:1:9: YAML anchors and aliases are not allowed" } },
	{ "bad-syntax.yaml",
	  { "bad-syntax.yaml:2:7: YAML syntax error: did not find expected ',' "
	    "or ']' (while parsing a flow sequence at line 1, column 10)" } },
	{ "bad-tab.yaml",
	  { "bad-tab.yaml:3:1: YAML syntax error: found a tab character that "
	    "violates indentation (while scanning a plain scalar at line 2, "
	    "column 13)" } },
	{ "bad-multi-document.yaml",
	  { "bad-multi-document.yaml:3:1: more than one YAML document in the "
	    "file" } },
	{ "bad-top-level-list.yaml",
	  { "bad-top-level-list.yaml:1:1: the top level must be a map of "
	    "keys" } },
	{ "bad-complex-key.yaml",
	  { "bad-complex-key.yaml:2:5: a key must be a single value, not a map "
	    "or list" } },
	{ "bad-listener.yaml",
	  { "bad-listener.yaml:5:40: 'tls' must be one of starttls, implicit, "
	    "none, not 'sometimes'",
	    "bad-listener.yaml:6:9: missing required key 'address' in "
	    "plugins.smtp.listen[2]",
	    "bad-listener.yaml:7:9: 'listen[3]' must be a map",
	    "bad-listener.yaml:8:19: 'address' must be an address such as "
	    "127.0.0.1:25 or [::1]:25, not 'localhost'",
	    "bad-listener.yaml:8:32: unknown key 'port' in "
	    "plugins.smtp.listen[4] (known: address, tls, role)" } },
	{ "bad-several.yaml",
	  { "bad-several.yaml:3:3: missing required key 'hostname' in server",
	    "bad-several.yaml:3:12: 'workers' must be a whole number, not "
	    "'many'",
	    "bad-several.yaml:4:10: 'debug' must be true or false, not 'maybe'",
	    "bad-several.yaml:8:12: 'quota' must be a size such as 25M or 1G, "
	    "not '25Q'",
	    "bad-several.yaml:9:5: unknown key 'fsnyc' in plugins.maildir; did "
	    "you mean 'fsync'?",
	    "bad-several.yaml:12:19: 'address' must be an address such as "
	    "127.0.0.1:25 or [::1]:25, not '127.0.0.1:0'",
	    "bad-several.yaml:13:14: 'timeout' must be a duration such as 30s, "
	    "5m or 500ms, not 'soon'" } },
};

static void
test_bad_file(gconstpointer data)
{
	const BadFile *bad = data;
	g_autoptr(GPtrArray) problems = problems_of(bad->file);

	assert_problems(problems, bad->messages);
}

/* ------------------------------------------------------------------------
 * Loading edge cases
 */
static char *
nested_lists(guint depth)
{
	GString *text = g_string_new("a: ");

	for (guint i = 0; i < depth - 1; i++)
		g_string_append_c(text, '[');
	for (guint i = 0; i < depth - 1; i++)
		g_string_append_c(text, ']');
	g_string_append_c(text, '\n');
	return g_string_free(text, FALSE);
}

static void
test_load_depth_limit(void)
{
	g_autofree char *ok_text = nested_lists(64);
	g_autofree char *deep_text = nested_lists(65);
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) ok = NULL;
	g_autoptr(RavenConfig) deep = NULL;

	ok = raven_config_load_data("deep.yaml", ok_text, strlen(ok_text),
	                            &error);
	g_assert_no_error(error);
	g_assert_nonnull(ok);

	deep = raven_config_load_data("deep.yaml", deep_text, strlen(deep_text),
	                              &error);
	g_assert_null(deep);
	g_assert_error(error, RAVEN_CONFIG_ERROR, RAVEN_CONFIG_ERROR_SYNTAX);
	g_assert_cmpstr(error->message, ==,
	                "deep.yaml:1:67: nesting deeper than 64 levels");
}

static void
test_load_too_large(void)
{
	gsize len = 1024 * 1024 + 1;
	g_autofree char *text = g_malloc(len);
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) config = NULL;

	memset(text, '#', len);
	config = raven_config_load_data("big.yaml", text, len, &error);
	g_assert_null(config);
	g_assert_error(error, RAVEN_CONFIG_ERROR, RAVEN_CONFIG_ERROR_IO);
	g_assert_cmpstr(error->message, ==,
	                "big.yaml:1:1: the file is larger than 1 MiB");

	/* One byte less is a (long) comment. */
	g_clear_error(&error);
	config = raven_config_load_data("big.yaml", text, len - 1, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(raven_config_length(raven_config_root(config)), ==, 0);
}

static void
test_load_missing_file(void)
{
	g_autofree char *path = data_path("no-such-file.yaml");
	g_autofree char *expected
		= g_strconcat(path, ": ", g_strerror(ENOENT), NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) config = raven_config_load(path, &error);

	g_assert_null(config);
	g_assert_error(error, RAVEN_CONFIG_ERROR, RAVEN_CONFIG_ERROR_IO);
	g_assert_cmpstr(error->message, ==, expected);
}

static void
test_load_bad_utf8(void)
{
	static const char text[] = "server:\n  hostname: \"mx\xff\"\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) config = NULL;

	config = raven_config_load_data("utf8.yaml", text, sizeof text - 1,
	                                &error);
	g_assert_null(config);
	g_assert_error(error, RAVEN_CONFIG_ERROR, RAVEN_CONFIG_ERROR_SYNTAX);
	g_assert_cmpstr(error->message, ==,
	                "utf8.yaml:2:16: YAML syntax error: invalid leading "
	                "UTF-8 octet");
}

static void
test_load_nul_in_value(void)
{
	static const char text[] = "a: \"x\\0y\"\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) config = NULL;

	config = raven_config_load_data("nul.yaml", text, sizeof text - 1,
	                                &error);
	g_assert_null(config);
	g_assert_cmpstr(error->message, ==,
	                "nul.yaml:1:4: a value must not contain NUL");
}

static void
test_load_empty(void)
{
	g_autoptr(RavenConfig) config = load_good("good-empty.yaml");
	g_autoptr(RavenConfig) data = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const RavenConfigNode *root = raven_config_root(config);

	g_assert_nonnull(root);
	g_assert_cmpuint(raven_config_length(root), ==, 0);
	g_assert_cmpuint(raven_config_line(root), ==, 1);
	g_assert_cmpuint(raven_config_column(root), ==, 1);
	g_assert_true(
		raven_config_validate(config, root, top_keys, NULL, problems));

	data = raven_config_load_data("empty.yaml", "", 0, NULL);
	g_assert_nonnull(data);
	g_assert_cmpuint(raven_config_length(raven_config_root(data)), ==, 0);
	g_clear_pointer(&data, raven_config_unref);
	data = raven_config_load_data("doc.yaml", "---\n...\n", 8, NULL);
	g_assert_nonnull(data);
	g_assert_cmpuint(raven_config_length(raven_config_root(data)), ==, 0);
}

/* An absent section stands for an empty map: its required keys are
 * reported at the top of the file. */
static void
test_validate_absent(void)
{
	g_autoptr(RavenConfig) config = load_good("good-empty.yaml");
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *expected = NULL;

	g_assert_false(raven_config_validate(config, NULL, server_keys,
	                                     "server", problems));
	expected = g_strconcat(raven_config_file(config),
	                       ":1:1: missing required key 'hostname' in "
	                       "server",
	                       NULL);
	g_assert_cmpuint(problems->len, ==, 1);
	g_assert_cmpstr(problems->pdata[0], ==, expected);
}

static void
test_validate_no_keys(void)
{
	static const char text[] = "spam: {level: 3}\n";
	g_autoptr(RavenConfig) config = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const RavenConfigNode *spam;

	config = raven_config_load_data("s.yaml", text, sizeof text - 1, NULL);
	spam = raven_config_get(raven_config_root(config), "spam");
	g_assert_false(raven_config_validate(config, spam, no_keys,
	                                     "plugins.spam", problems));
	g_assert_cmpuint(problems->len, ==, 1);
	g_assert_cmpstr(problems->pdata[0], ==,
	                "s.yaml:1:8: unknown key 'level' in plugins.spam (it "
	                "takes no keys)");
}

/* ------------------------------------------------------------------------
 * Good files read back
 */
static void
test_get_full(void)
{
	g_autoptr(RavenConfig) config = load_good("good-full.yaml");
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const RavenConfigNode *root = raven_config_root(config);
	const RavenConfigNode *server, *plugins, *smtp, *listen, *routes;

	validate_all(config, problems);
	g_assert_cmpuint(problems->len, ==, 0);

	server = raven_config_get(root, "server");
	g_assert_cmpstr(raven_config_get_string(server, "hostname", NULL), ==,
	                "mx.example.test");
	g_assert_cmpint(raven_config_get_int(server, "workers", 0), ==, 4);
	g_assert_true(raven_config_get_bool(server, "debug", FALSE));
	g_assert_cmpuint(raven_config_get_duration_ms(server, "timeout", 0), ==,
	                 5 * 60 * 1000);
	g_assert_cmpstr(raven_config_get_string(server, "log_level", NULL), ==,
	                "info");

	g_assert_cmpuint(raven_config_length(raven_config_get(root, "domains")),
	                 ==, 2);
	g_assert_cmpstr(raven_config_scalar(raven_config_item(
				raven_config_get(root, "domains"), 1)),
	                ==, "other.test");

	/* Plugin sections keep the file's order. */
	plugins = raven_config_get(root, "plugins");
	g_assert_cmpuint(raven_config_length(plugins), ==, 5);
	g_assert_cmpstr(raven_config_key(plugins, 0), ==, "maildir");
	g_assert_cmpstr(raven_config_key(plugins, 1), ==, "smtp");
	g_assert_cmpstr(raven_config_key(plugins, 4), ==, "crypt");
	g_assert_null(raven_config_key(plugins, 5));
	g_assert_cmpuint(raven_config_length(raven_config_item(plugins, 4)), ==,
	                 0);
	g_assert_cmpuint(raven_config_get_size(raven_config_item(plugins, 0),
	                                       "quota", 0),
	                 ==, G_GUINT64_CONSTANT(1) << 30);
	g_assert_false(raven_config_get_bool(raven_config_item(plugins, 0),
	                                     "fsync", TRUE));

	smtp = raven_config_get(plugins, "smtp");
	g_assert_cmpuint(raven_config_get_size(smtp, "max_message_size", 0), ==,
	                 25 * 1024 * 1024);
	g_assert_cmpuint(raven_config_get_duration_ms(smtp, "timeout", 0), ==,
	                 30000);

	listen = raven_config_get(smtp, "listen");
	g_assert_cmpuint(raven_config_length(listen), ==, 3);
	g_assert_cmpstr(raven_config_get_string(raven_config_item(listen, 0),
	                                        "address", NULL),
	                ==, "127.0.0.1:2525");
	g_assert_cmpstr(raven_config_get_string(raven_config_item(listen, 0),
	                                        "tls", "starttls"),
	                ==, "starttls");
	g_assert_cmpstr(raven_config_get_string(raven_config_item(listen, 2),
	                                        "tls", "starttls"),
	                ==, "implicit");
	g_assert_cmpstr(raven_config_get_string(raven_config_item(listen, 2),
	                                        "address", NULL),
	                ==, "[::1]:2465");

	routes = raven_config_get(smtp, "routes");
	g_assert_cmpuint(raven_config_length(routes), ==, 2);
	g_assert_cmpstr(raven_config_key(routes, 0), ==, "remote.test");
	g_assert_cmpstr(raven_config_scalar(raven_config_item(routes, 0)), ==,
	                "127.0.0.1:2626");
	g_assert_cmpstr(raven_config_get_string(routes, "other.test", NULL), ==,
	                "[2001:db8::1]:25");
}

static void
test_get_values(void)
{
	g_autoptr(RavenConfig) config = load_good("good-values.yaml");
	const RavenConfigNode *root = raven_config_root(config);
	const RavenConfigNode *sizes = raven_config_get(root, "sizes");
	const RavenConfigNode *durations = raven_config_get(root, "durations");
	const RavenConfigNode *bools = raven_config_get(root, "bools");
	const RavenConfigNode *ints = raven_config_get(root, "ints");
	const RavenConfigNode *strings = raven_config_get(root, "strings");

	/* Nothing validated: the getters parse on the fly. */
	g_assert_cmpuint(raven_config_get_size(sizes, "plain", 0), ==, 512);
	g_assert_cmpuint(raven_config_get_size(sizes, "bytes", 0), ==, 100);
	g_assert_cmpuint(raven_config_get_size(sizes, "one_k", 0), ==, 1024);
	g_assert_cmpuint(raven_config_get_size(sizes, "kb_lower", 0), ==, 2048);
	g_assert_cmpuint(raven_config_get_size(sizes, "m", 0), ==,
	                 25 * 1024 * 1024);
	g_assert_cmpuint(raven_config_get_size(sizes, "g", 0), ==,
	                 1024 * 1024 * 1024);
	g_assert_cmpuint(raven_config_get_size(sizes, "mib", 0), ==,
	                 3 * 1024 * 1024);

	g_assert_cmpuint(raven_config_get_duration_ms(durations, "ms", 0), ==,
	                 500);
	g_assert_cmpuint(raven_config_get_duration_ms(durations, "plain", 0),
	                 ==, 10000);
	g_assert_cmpuint(raven_config_get_duration_ms(durations, "s", 0), ==,
	                 30000);
	g_assert_cmpuint(raven_config_get_duration_ms(durations, "m", 0), ==,
	                 300000);
	g_assert_cmpuint(raven_config_get_duration_ms(durations, "h", 0), ==,
	                 3600000);
	g_assert_cmpuint(raven_config_get_duration_ms(durations, "d", 0), ==,
	                 2 * 86400000);

	g_assert_true(raven_config_get_bool(bools, "a", FALSE));
	g_assert_false(raven_config_get_bool(bools, "b", TRUE));
	g_assert_true(raven_config_get_bool(bools, "c", FALSE));
	g_assert_false(raven_config_get_bool(bools, "d", TRUE));
	g_assert_true(raven_config_get_bool(bools, "e", FALSE));
	g_assert_false(raven_config_get_bool(bools, "f", TRUE));

	g_assert_cmpint(raven_config_get_int(ints, "zero", 9), ==, 0);
	g_assert_cmpint(raven_config_get_int(ints, "negative", 0), ==, -42);
	g_assert_cmpint(raven_config_get_int(ints, "positive", 0), ==, 7);
	g_assert_cmpint(raven_config_get_int(ints, "big", 0), ==, G_MAXINT64);

	g_assert_cmpstr(raven_config_get_string(strings, "plain", NULL), ==,
	                "hello world");
	g_assert_cmpstr(raven_config_get_string(strings, "single", NULL), ==,
	                "it's");
	g_assert_cmpstr(raven_config_get_string(strings, "double", NULL), ==,
	                "tab\there");
	g_assert_cmpstr(raven_config_get_string(strings, "empty", NULL), ==,
	                "");
	g_assert_cmpstr(raven_config_get_string(strings, "quoted_null", NULL),
	                ==, "null");
	g_assert_cmpstr(raven_config_get_string(strings, "number", NULL), ==,
	                "0123");
}

/* Typed values that do not parse, and the wrong shapes, fall back. */
static void
test_get_fallbacks(void)
{
	g_autoptr(RavenConfig) config = load_good("good-values.yaml");
	const RavenConfigNode *root = raven_config_root(config);
	const RavenConfigNode *strings = raven_config_get(root, "strings");
	const RavenConfigNode *nulls = raven_config_get(root, "nulls");
	const RavenConfigNode *list = raven_config_get(root, "list");

	g_assert_cmpint(raven_config_get_int(strings, "plain", 5), ==, 5);
	g_assert_true(raven_config_get_bool(strings, "plain", TRUE));
	g_assert_cmpuint(raven_config_get_size(strings, "plain", 6), ==, 6);
	g_assert_cmpuint(raven_config_get_duration_ms(strings, "plain", 7), ==,
	                 7);
	g_assert_cmpstr(raven_config_get_string(strings, "nothing", "x"), ==,
	                "x");

	/* Nulls are there as nodes, but their values fall back. */
	for (guint i = 0; i < raven_config_length(nulls); i++) {
		const char *key = raven_config_key(nulls, i);

		g_assert_nonnull(raven_config_get(nulls, key));
		g_assert_null(
			raven_config_scalar(raven_config_get(nulls, key)));
		g_assert_cmpstr(raven_config_get_string(nulls, key, "fb"), ==,
		                "fb");
		g_assert_cmpint(raven_config_get_int(nulls, key, 3), ==, 3);
		g_assert_cmpuint(
			raven_config_length(raven_config_get(nulls, key)), ==,
			0);
	}

	/* A map, list or nothing where a value is wanted. */
	g_assert_cmpstr(raven_config_get_string(root, "list", "fb"), ==, "fb");
	g_assert_cmpstr(raven_config_get_string(root, "nulls", "fb"), ==, "fb");
	g_assert_null(raven_config_get(list, "one"));
	g_assert_null(raven_config_key(list, 0));
	g_assert_null(raven_config_item(list, 3));
	g_assert_null(raven_config_scalar(list));

	g_assert_null(raven_config_get(NULL, "x"));
	g_assert_cmpstr(raven_config_get_string(NULL, "x", "fb"), ==, "fb");
	g_assert_cmpint(raven_config_get_int(NULL, "x", -1), ==, -1);
	g_assert_true(raven_config_get_bool(NULL, "x", TRUE));
	g_assert_cmpuint(raven_config_get_size(NULL, "x", 8), ==, 8);
	g_assert_cmpuint(raven_config_get_duration_ms(NULL, "x", 9), ==, 9);
	g_assert_cmpuint(raven_config_length(NULL), ==, 0);
	g_assert_null(raven_config_item(NULL, 0));
	g_assert_null(raven_config_key(NULL, 0));
	g_assert_null(raven_config_scalar(NULL));
}

/* Validation stores typed values; a getter reads them as validated. */
static void
test_get_validated(void)
{
	static const RavenConfigKey value_keys[] = {
		{ "plain", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
		{ "bytes", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
		{ "one_k", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
		{ "kb_lower", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
		{ "m", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
		{ "g", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
		{ "mib", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	static const RavenConfigKey duration_keys[] = {
		{ "ms", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
		{ "plain", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
		{ "s", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
		{ "m", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
		{ "h", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
		{ "d", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	static const RavenConfigKey a_bool
		= { NULL, RAVEN_CONFIG_BOOL, 0, NULL, NULL };
	static const RavenConfigKey an_int
		= { NULL, RAVEN_CONFIG_INT, 0, NULL, NULL };
	static const RavenConfigKey nested_item_keys[] = {
		{ "name", RAVEN_CONFIG_STRING, RAVEN_CONFIG_REQUIRED, NULL,
		  NULL },
		{ "ports", RAVEN_CONFIG_LIST, 0, &an_int, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	static const RavenConfigKey nested_item
		= { NULL, RAVEN_CONFIG_MAP, 0, nested_item_keys, NULL };
	static const RavenConfigKey keys[] = {
		{ "sizes", RAVEN_CONFIG_MAP, 0, value_keys, NULL },
		{ "durations", RAVEN_CONFIG_MAP, 0, duration_keys, NULL },
		{ "bools", RAVEN_CONFIG_DICT, 0, &a_bool, NULL },
		{ "ints", RAVEN_CONFIG_DICT, 0, &an_int, NULL },
		{ "strings", RAVEN_CONFIG_DICT, 0, &a_string, NULL },
		{ "nulls", RAVEN_CONFIG_MAP, 0, no_keys, NULL },
		{ "list", RAVEN_CONFIG_LIST, 0, &a_string, NULL },
		{ "nested", RAVEN_CONFIG_LIST, 0, &nested_item, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	g_autoptr(RavenConfig) config = load_good("good-values.yaml");
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const RavenConfigNode *root = raven_config_root(config);
	const RavenConfigNode *sizes, *nested, *ports;

	/* "nulls" has keys a MAP with an empty key table does not know. */
	g_assert_false(
		raven_config_validate(config, root, keys, NULL, problems));
	g_assert_cmpuint(problems->len, ==, 3);
	g_assert_true(g_str_has_suffix(problems->pdata[0],
	                               "good-values.yaml:37:3: unknown key "
	                               "'empty' in nulls (it takes no keys)"));

	/* The typed values are stored, so getters do not parse again. */
	sizes = raven_config_get(root, "sizes");
	g_assert_cmpint(raven_config_get(sizes, "m")->type, ==,
	                RAVEN_CONFIG_SIZE);
	g_assert_cmpuint(raven_config_get(sizes, "m")->value.u, ==,
	                 25 * 1024 * 1024);
	g_assert_cmpint(
		raven_config_get(raven_config_get(root, "bools"), "a")->type,
		==, RAVEN_CONFIG_BOOL);
	g_assert_cmpint(
		raven_config_get(raven_config_get(root, "nulls"), "tilde")
			->type,
		==, 0);
	g_assert_cmpuint(
		raven_config_get_size(raven_config_get(root, "sizes"), "g", 0),
		==, 1024 * 1024 * 1024);
	g_assert_cmpuint(
		raven_config_get_duration_ms(
			raven_config_get(root, "durations"), "plain", 0),
		==, 10000);
	g_assert_false(raven_config_get_bool(raven_config_get(root, "bools"),
	                                     "f", TRUE));
	g_assert_cmpint(raven_config_get_int(raven_config_get(root, "ints"),
	                                     "negative", 0),
	                ==, -42);

	nested = raven_config_get(root, "nested");
	g_assert_cmpuint(raven_config_length(nested), ==, 2);
	ports = raven_config_get(raven_config_item(nested, 0), "ports");
	g_assert_cmpstr(raven_config_scalar(raven_config_item(ports, 1)), ==,
	                "587");
	g_assert_null(raven_config_get(raven_config_item(nested, 1), "ports"));
}

/* A value validation refused is not typed, and its getter falls back. */
static void
test_get_invalid(void)
{
	g_autoptr(RavenConfig) config = load_good("bad-size.yaml");
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const RavenConfigNode *maildir = raven_config_get(
		raven_config_get(raven_config_root(config), "plugins"),
		"maildir");

	g_assert_false(raven_config_validate(config, maildir, maildir_keys,
	                                     "plugins.maildir", problems));
	g_assert_cmpint(raven_config_get(maildir, "quota")->type, ==, 0);
	g_assert_cmpuint(raven_config_get_size(maildir, "quota", 7), ==, 7);
	g_assert_cmpstr(raven_config_get_string(maildir, "quota", NULL), ==,
	                "25Q");
}

static void
test_get_nulls(void)
{
	g_autoptr(RavenConfig) config = load_good("good-nulls.yaml");
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const RavenConfigNode *root = raven_config_root(config);
	const RavenConfigNode *tls = raven_config_get(root, "tls");
	const RavenConfigNode *smtp;

	validate_all(config, problems);
	g_assert_cmpuint(problems->len, ==, 0);
	g_assert_nonnull(tls);
	g_assert_cmpuint(raven_config_length(tls), ==, 0);
	g_assert_cmpstr(raven_config_get_string(tls, "key", "none"), ==,
	                "none");
	smtp = raven_config_get(raven_config_get(root, "plugins"), "smtp");
	g_assert_nonnull(smtp);
	g_assert_cmpuint(raven_config_length(raven_config_get(smtp, "listen")),
	                 ==, 0);
}

static void
test_positions(void)
{
	g_autoptr(RavenConfig) config = load_good("good-full.yaml");
	g_autofree char *path = data_path("good-full.yaml");
	const RavenConfigNode *root = raven_config_root(config);
	const RavenConfigNode *server = raven_config_get(root, "server");
	const RavenConfigNode *crypt;
	g_autofree char *where = NULL;
	g_autofree char *expected = NULL;

	g_assert_cmpstr(raven_config_file(config), ==, path);
	g_assert_cmpuint(raven_config_line(root), ==, 2);
	g_assert_cmpuint(raven_config_column(root), ==, 1);

	where = raven_config_where(raven_config_get(server, "hostname"));
	expected = g_strconcat(path, ":3:13", NULL);
	g_assert_cmpstr(where, ==, expected);

	/* A null value sits at its key. */
	crypt = raven_config_get(raven_config_get(root, "plugins"), "crypt");
	g_assert_cmpuint(raven_config_line(crypt), ==, 29);
	g_assert_cmpuint(raven_config_column(crypt), ==, 3);
}

static void
test_resolve_path(void)
{
	g_autoptr(RavenConfig) config = load_good("good-full.yaml");
	g_autoptr(RavenConfig) data = NULL;
	g_autofree char *folder = data_folder();
	g_autofree char *canonical = g_canonicalize_filename(folder, NULL);
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *var = g_build_filename(canonical, "..", "var", NULL);
	g_autofree char *expected = g_canonicalize_filename(var, NULL);
	g_autofree char *resolved = NULL;
	g_autofree char *in_cwd = NULL;

	resolved = raven_config_resolve_path(config, "../var");
	g_assert_cmpstr(resolved, ==, expected);
	g_clear_pointer(&resolved, g_free);
	resolved = raven_config_resolve_path(config, "/etc/raven/key.pem");
	g_assert_cmpstr(resolved, ==, "/etc/raven/key.pem");
	g_clear_pointer(&resolved, g_free);
	resolved = raven_config_resolve_path(config, "./a//b/");
	g_assert_true(g_path_is_absolute(resolved));
	g_assert_true(g_str_has_suffix(resolved, "/config/a/b"));

	data = raven_config_load_data("mem.yaml", "a: 1\n", 5, NULL);
	g_clear_pointer(&resolved, g_free);
	resolved = raven_config_resolve_path(data, "x/y");
	in_cwd = g_build_filename(cwd, "x", "y", NULL);
	g_assert_cmpstr(resolved, ==, in_cwd);
}

static void
test_ref(void)
{
	RavenConfig *config
		= raven_config_load_data("r.yaml", "a: b\n", 5, NULL);
	const RavenConfigNode *root = raven_config_root(config);

	g_assert_true(raven_config_ref(config) == config);
	raven_config_unref(config);
	g_assert_cmpstr(raven_config_get_string(root, "a", NULL), ==, "b");
	raven_config_unref(config);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
		const char *file = bad_files[i].file + strlen("bad-");
		g_autofree char *stem = g_strndup(file, strlen(file) - 5);
		g_autofree char *name
			= g_strconcat("/config/load/", stem, NULL);

		g_test_add_data_func(name, &bad_files[i], test_bad_file);
	}
	g_test_add_func("/config/load/depth-limit", test_load_depth_limit);
	g_test_add_func("/config/load/too-large", test_load_too_large);
	g_test_add_func("/config/load/missing-file", test_load_missing_file);
	g_test_add_func("/config/load/bad-utf8", test_load_bad_utf8);
	g_test_add_func("/config/load/nul-in-value", test_load_nul_in_value);
	g_test_add_func("/config/load/empty", test_load_empty);
	g_test_add_func("/config/validate/absent", test_validate_absent);
	g_test_add_func("/config/validate/no-keys", test_validate_no_keys);
	g_test_add_func("/config/get/full", test_get_full);
	g_test_add_func("/config/get/values", test_get_values);
	g_test_add_func("/config/get/fallbacks", test_get_fallbacks);
	g_test_add_func("/config/get/validated", test_get_validated);
	g_test_add_func("/config/get/invalid", test_get_invalid);
	g_test_add_func("/config/get/nulls", test_get_nulls);
	g_test_add_func("/config/get/positions", test_positions);
	g_test_add_func("/config/resolve-path", test_resolve_path);
	g_test_add_func("/config/ref", test_ref);
	return g_test_run();
}
