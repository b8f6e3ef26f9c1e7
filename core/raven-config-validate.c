/* raven-config-validate.c: typed values and checking the tree against schemas.
 * SPDX-License-Identifier: MIT
 */
#include "raven-config-private.h"

#include <stdarg.h>
#include <string.h>

#define MAX_SUGGEST_DISTANCE 2

/* ------------------------------------------------------------------------
 * Parsers of typed values
 */

/* Leading decimal digits into `value`; FALSE when none or on overflow. */
static gboolean
parse_digits(const char **text, guint64 *value)
{
	const char *p = *text;

	*value = 0;
	if (!g_ascii_isdigit(*p))
		return FALSE;
	for (; g_ascii_isdigit(*p); p++) {
		guint digit = *p - '0';

		if (*value > (G_MAXUINT64 - digit) / 10)
			return FALSE;
		*value = *value * 10 + digit;
	}
	*text = p;
	return TRUE;
}

static gboolean
multiply(guint64 number, guint64 unit, guint64 *result)
{
	if (number > G_MAXUINT64 / unit)
		return FALSE;
	*result = number * unit;
	return TRUE;
}

gboolean
raven_config_parse_size(const char *text, guint64 *bytes)
{
	static const char units[] = "KMG";
	guint64 number, unit = 1;
	const char *suffix;

	g_return_val_if_fail(text != NULL, FALSE);
	g_return_val_if_fail(bytes != NULL, FALSE);

	if (!parse_digits(&text, &number))
		return FALSE;
	suffix = *text ? strchr(units, g_ascii_toupper(*text)) : NULL;
	if (suffix != NULL) {
		unit <<= 10 * (suffix - units + 1);
		text++;
	}
	if (g_ascii_toupper(*text) == 'B')
		text++;
	return *text == '\0' && multiply(number, unit, bytes);
}

gboolean
raven_config_parse_duration_ms(const char *text, guint64 *ms)
{
	static const struct {
		const char *suffix;
		guint64 ms;
	} units[] = {
		{ "", 1000 },       { "ms", 1 },          { "s", 1000 },
		{ "m", 60 * 1000 }, { "h", 3600 * 1000 }, { "d", 86400 * 1000 },
	};
	guint64 number;

	g_return_val_if_fail(text != NULL, FALSE);
	g_return_val_if_fail(ms != NULL, FALSE);

	if (!parse_digits(&text, &number))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
		if (strcmp(text, units[i].suffix) == 0)
			return multiply(number, units[i].ms, ms);
	}
	return FALSE;
}

gboolean
raven_config_parse_bool(const char *text, gboolean *value)
{
	static const char *const words[]
		= { "false", "true", "no", "yes", "off", "on" };

	g_return_val_if_fail(text != NULL, FALSE);
	g_return_val_if_fail(value != NULL, FALSE);

	for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
		if (g_ascii_strcasecmp(text, words[i]) == 0) {
			*value = i % 2 == 1;
			return TRUE;
		}
	}
	return FALSE;
}

/* A name or IPv4 address: letters, digits and "-._*" (for "*:25"). */
static gboolean
is_host_name(const char *host)
{
	if (*host == '\0')
		return FALSE;
	for (const char *p = host; *p; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-._*", *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

static gboolean
parse_port(const char *text, guint16 *port)
{
	guint64 value;

	if (!parse_digits(&text, &value) || *text != '\0' || value < 1
	    || value > G_MAXUINT16)
		return FALSE;
	*port = value;
	return TRUE;
}

gboolean
raven_config_parse_address(const char *text, char **host, guint16 *port)
{
	g_autofree char *name = NULL;
	const char *end;
	guint16 number;

	g_return_val_if_fail(text != NULL, FALSE);

	if (text[0] == '[') {
		end = strchr(text, ']');
		if (end == NULL || end[1] != ':')
			return FALSE;
		name = g_strndup(text + 1, end - text - 1);
		if (strchr(name, ':') == NULL
		    || !g_hostname_is_ip_address(name))
			return FALSE;
		end++;
	} else {
		end = strrchr(text, ':');
		if (end == NULL)
			return FALSE;
		name = g_strndup(text, end - text);
		if (!is_host_name(name))
			return FALSE;
	}
	if (!parse_port(end + 1, &number))
		return FALSE;
	if (host != NULL)
		*host = g_steal_pointer(&name);
	if (port != NULL)
		*port = number;
	return TRUE;
}

gboolean
raven_config_parse_value(const char *text,
                         RavenConfigType type,
                         RavenConfigValue *value)
{
	switch (type) {
	case RAVEN_CONFIG_INT:
		return g_ascii_string_to_signed(text, 10, G_MININT64,
		                                G_MAXINT64, &value->i, NULL);
	case RAVEN_CONFIG_BOOL:
		return raven_config_parse_bool(text, &value->b);
	case RAVEN_CONFIG_SIZE:
		return raven_config_parse_size(text, &value->u);
	case RAVEN_CONFIG_DURATION:
		return raven_config_parse_duration_ms(text, &value->u);
	case RAVEN_CONFIG_ADDRESS:
		return raven_config_parse_address(text, NULL, NULL);
	default:
		return TRUE;
	}
}

/* ------------------------------------------------------------------------
 * Validation
 */
typedef struct {
	const char *file;
	GPtrArray *problems;
} Check;

static const char *const tls_modes[] = { "starttls", "implicit", "none", NULL };

static const RavenConfigKey listener_keys[] = {
	{ "address", RAVEN_CONFIG_ADDRESS, RAVEN_CONFIG_REQUIRED, NULL, NULL },
	{ "tls", RAVEN_CONFIG_STRING, 0, NULL, tls_modes },
	{ "role", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey listener = {
	NULL, RAVEN_CONFIG_MAP, 0, listener_keys, NULL,
};

static void
add_problem(Check *check, guint line, guint column, const char *format, ...)
	G_GNUC_PRINTF(4, 5);

static void
add_problem(Check *check, guint line, guint column, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_ptr_array_add(check->problems,
	                g_strdup_printf("%s:%u:%u: %s", check->file, line,
	                                column, message));
}

static const char *
describe(const char *path)
{
	return path != NULL ? path : "the top level";
}

static char *
join_path(const char *path, const char *key)
{
	return path != NULL ? g_strconcat(path, ".", key, NULL) : g_strdup(key);
}

static const RavenConfigKey *
find_key(const RavenConfigKey *keys, const char *name)
{
	for (; keys != NULL && keys->name != NULL; keys++) {
		if (strcmp(keys->name, name) == 0)
			return keys;
	}
	return NULL;
}

/* Levenshtein distance, or a large number for long words. */
static guint
edit_distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	guint row[65];

	if (la > 64 || lb > 64)
		return G_MAXUINT;
	for (gsize j = 0; j <= lb; j++)
		row[j] = j;
	for (gsize i = 1; i <= la; i++) {
		guint diagonal = row[0];

		row[0] = i;
		for (gsize j = 1; j <= lb; j++) {
			guint above = row[j];
			guint best = MIN(row[j - 1], above) + 1;

			row[j] = MIN(best, diagonal + (a[i - 1] != b[j - 1]));
			diagonal = above;
		}
	}
	return row[lb];
}

static void
unknown_key(Check *check,
            const RavenMapKey *key,
            const RavenConfigKey *keys,
            const char *path)
{
	const RavenConfigKey *closest = NULL;
	guint distance = MAX_SUGGEST_DISTANCE + 1;
	g_autoptr(GString) known = g_string_new(NULL);

	for (const RavenConfigKey *k = keys; k && k->name; k++) {
		guint d = edit_distance(key->name, k->name);

		if (d < distance) {
			closest = k;
			distance = d;
		}
		g_string_append_printf(known, "%s%s", known->len ? ", " : "",
		                       k->name);
	}
	if (closest != NULL)
		add_problem(check, key->line, key->column,
		            "unknown key '%s' in %s; did you mean '%s'?",
		            key->name, describe(path), closest->name);
	else if (known->len == 0)
		add_problem(check, key->line, key->column,
		            "unknown key '%s' in %s (it takes no keys)",
		            key->name, describe(path));
	else
		add_problem(check, key->line, key->column,
		            "unknown key '%s' in %s (known: %s)", key->name,
		            describe(path), known->str);
}

static void check_value(Check *check,
                        const RavenConfigNode *node,
                        const RavenConfigKey *schema,
                        const char *name,
                        const char *path,
                        gboolean optional);

/* `node` is a map or a null; required keys missing are reported at it. */
static void
check_map(Check *check,
          const RavenConfigNode *node,
          const RavenConfigKey *keys,
          const char *path)
{
	for (const RavenConfigKey *k = keys; k && k->name; k++) {
		if ((k->flags & RAVEN_CONFIG_REQUIRED)
		    && raven_config_get(node, k->name) == NULL)
			add_problem(check, node->line, node->column,
			            "missing required key '%s' in %s", k->name,
			            describe(path));
	}
	for (guint i = 0; i < raven_config_length(node); i++) {
		const RavenMapKey *key
			= &g_array_index(node->keys, RavenMapKey, i);
		const RavenConfigKey *schema = find_key(keys, key->name);
		g_autofree char *child = NULL;

		if (schema == NULL) {
			unknown_key(check, key, keys, path);
			continue;
		}
		child = join_path(path, key->name);
		check_value(check, raven_config_item(node, i), schema,
		            key->name, child,
		            !(schema->flags & RAVEN_CONFIG_REQUIRED));
	}
}

static void
check_list(Check *check,
           const RavenConfigNode *node,
           const RavenConfigKey *item,
           const char *name,
           const char *path)
{
	for (guint i = 0; item != NULL && i < raven_config_length(node); i++) {
		g_autofree char *item_name = g_strdup_printf("%s[%u]", name, i);
		g_autofree char *item_path = g_strdup_printf("%s[%u]", path, i);

		check_value(check, raven_config_item(node, i), item, item_name,
		            item_path, FALSE);
	}
}

static void
check_dict(Check *check,
           const RavenConfigNode *node,
           const RavenConfigKey *value,
           const char *path)
{
	for (guint i = 0; value != NULL && i < raven_config_length(node); i++) {
		const char *key = raven_config_key(node, i);
		g_autofree char *child = join_path(path, key);

		check_value(check, raven_config_item(node, i), value, key,
		            child, FALSE);
	}
}

static gboolean
is_choice(const char *const *choices, const char *text)
{
	return choices == NULL || g_strv_contains(choices, text);
}

static const char *
expected_form(RavenConfigType type)
{
	switch (type) {
	case RAVEN_CONFIG_INT:
		return "a whole number";
	case RAVEN_CONFIG_BOOL:
		return "true or false";
	case RAVEN_CONFIG_SIZE:
		return "a size such as 25M or 1G";
	case RAVEN_CONFIG_DURATION:
		return "a duration such as 30s, 5m or 500ms";
	case RAVEN_CONFIG_ADDRESS:
		return "an address such as 127.0.0.1:25 or [::1]:25";
	default:
		return "a single value";
	}
}

static void
check_scalar(Check *check,
             const RavenConfigNode *node,
             const RavenConfigKey *schema,
             const char *name,
             gboolean optional)
{
	/* Validation is the one step that writes typed values into the tree
	 * it was handed read-only. */
	RavenConfigNode *typed = (RavenConfigNode *)node;
	g_autofree char *choices = NULL;

	if (node->kind == RAVEN_NODE_NULL) {
		if (!optional)
			add_problem(check, node->line, node->column,
			            "'%s' must have a value", name);
		return;
	}
	if (node->kind != RAVEN_NODE_SCALAR) {
		add_problem(check, node->line, node->column,
		            "'%s' must be a single value", name);
		return;
	}
	typed->type = 0;
	if (!raven_config_parse_value(node->text, schema->type,
	                              &typed->value)) {
		add_problem(check, node->line, node->column,
		            "'%s' must be %s, not '%s'", name,
		            expected_form(schema->type), node->text);
		return;
	}
	if (schema->type == RAVEN_CONFIG_STRING
	    && !is_choice(schema->choices, node->text)) {
		choices = g_strjoinv(", ", (char **)schema->choices);
		add_problem(check, node->line, node->column,
		            "'%s' must be one of %s, not '%s'", name, choices,
		            node->text);
		return;
	}
	typed->type = schema->type;
}

/* `optional`: a null may stand for "not set" (a map key not required). */
static void
check_value(Check *check,
            const RavenConfigNode *node,
            const RavenConfigKey *schema,
            const char *name,
            const char *path,
            gboolean optional)
{
	gboolean is_map
		= node->kind == RAVEN_NODE_MAP || node->kind == RAVEN_NODE_NULL;
	gboolean is_list = node->kind == RAVEN_NODE_LIST
	                   || node->kind == RAVEN_NODE_NULL;

	switch (schema->type) {
	case RAVEN_CONFIG_MAP:
	case RAVEN_CONFIG_DICT:
		if (!is_map)
			add_problem(check, node->line, node->column,
			            "'%s' must be a map", name);
		else if (schema->type == RAVEN_CONFIG_MAP && schema->children)
			check_map(check, node, schema->children, path);
		else if (schema->type == RAVEN_CONFIG_MAP)
			; /* keys checked by the section's owner */
		else
			check_dict(check, node, schema->children, path);
		break;
	case RAVEN_CONFIG_LIST:
	case RAVEN_CONFIG_LISTENERS:
		if (!is_list)
			add_problem(check, node->line, node->column,
			            "'%s' must be a list", name);
		else
			check_list(check, node,
			           schema->type == RAVEN_CONFIG_LIST
			                   ? schema->children
			                   : &listener,
			           name, path);
		break;
	default:
		check_scalar(check, node, schema, name, optional);
		break;
	}
}

gboolean
raven_config_validate(RavenConfig *config,
                      const RavenConfigNode *node,
                      const RavenConfigKey *schema,
                      const char *where,
                      GPtrArray *problems)
{
	Check check = { NULL, problems };
	guint before;
	RavenConfigNode absent
		= { .kind = RAVEN_NODE_NULL, .line = 1, .column = 1 };

	g_return_val_if_fail(config != NULL, FALSE);
	g_return_val_if_fail(problems != NULL, FALSE);

	check.file = raven_config_file(config);
	before = problems->len;
	if (node == NULL)
		node = &absent;
	if (node->kind == RAVEN_NODE_MAP || node->kind == RAVEN_NODE_NULL)
		check_map(&check, node, schema, where);
	else
		add_problem(&check, node->line, node->column,
		            "'%s' must be a map", describe(where));
	return problems->len == before;
}
