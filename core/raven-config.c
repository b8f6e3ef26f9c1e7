/* raven-config.c: raven.yaml parsed with libyaml into a tree, typed by schemas.
 * SPDX-License-Identifier: MIT
 */
#include "raven-config-private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <yaml.h>

#define MAX_FILE_SIZE (1024 * 1024)
#define MAX_DEPTH 64

struct RavenConfig {
	gatomicrefcount ref;
	char *file;
	char *folder; /* absolute: relative paths resolve against it */
	RavenConfigNode *root;
};

typedef struct {
	yaml_parser_t parser;
	const char *file;
	const char *text;
	gsize len;
} Loader;

GQuark
raven_config_error_quark(void)
{
	return g_quark_from_static_string("raven-config-error-quark");
}

/* ------------------------------------------------------------------------
 * The tree
 */
static void
map_key_clear(gpointer data)
{
	RavenMapKey *key = data;

	g_free(key->name);
}

static void
node_free(gpointer data)
{
	RavenConfigNode *node = data;

	if (node == NULL)
		return;
	g_free(node->text);
	g_clear_pointer(&node->items, g_ptr_array_unref);
	g_clear_pointer(&node->keys, g_array_unref);
	g_clear_pointer(&node->index, g_hash_table_unref);
	g_free(node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenConfigNode, node_free)

static RavenConfigNode *
node_new(const Loader *loader, RavenNodeKind kind, const yaml_mark_t *mark)
{
	RavenConfigNode *node = g_new0(RavenConfigNode, 1);

	node->kind = kind;
	node->line = mark->line + 1;
	node->column = mark->column + 1;
	node->file = loader->file;
	if (kind == RAVEN_NODE_MAP || kind == RAVEN_NODE_LIST)
		node->items = g_ptr_array_new_with_free_func(node_free);
	if (kind == RAVEN_NODE_MAP) {
		node->keys = g_array_new(FALSE, FALSE, sizeof(RavenMapKey));
		g_array_set_clear_func(node->keys, map_key_clear);
		node->index = g_hash_table_new(g_str_hash, g_str_equal);
	}
	return node;
}

/* ------------------------------------------------------------------------
 * Loading
 */
static void syntax_error(const Loader *loader,
                         GError **error,
                         const yaml_mark_t *mark,
                         const char *format,
                         ...) G_GNUC_PRINTF(4, 5);

static void
syntax_error(const Loader *loader,
             GError **error,
             const yaml_mark_t *mark,
             const char *format,
             ...)
{
	va_list args;
	g_autofree char *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, RAVEN_CONFIG_ERROR, RAVEN_CONFIG_ERROR_SYNTAX,
	            "%s:%zu:%zu: %s", loader->file, mark->line + 1,
	            mark->column + 1, message);
}

/* libyaml reports reader errors (bad UTF-8 ...) as a byte offset only. */
static yaml_mark_t
mark_at_offset(const Loader *loader, gsize offset)
{
	yaml_mark_t mark = { 0, 0, 0 };

	for (gsize i = 0; i < offset && i < loader->len; i++) {
		if (loader->text[i] == '\n') {
			mark.line++;
			mark.column = 0;
		} else {
			mark.column++;
		}
	}
	return mark;
}

static void
yaml_error(Loader *loader, GError **error)
{
	const yaml_parser_t *parser = &loader->parser;
	yaml_mark_t mark = parser->problem_mark;

	if (parser->error == YAML_MEMORY_ERROR)
		g_error("raven-config: out of memory");
	if (parser->error == YAML_READER_ERROR)
		mark = mark_at_offset(loader, parser->problem_offset);
	if (parser->context == NULL) {
		syntax_error(loader, error, &mark, "YAML syntax error: %s",
		             parser->problem);
		return;
	}
	syntax_error(loader, error, &mark,
	             "YAML syntax error: %s (%s at line %zu, column %zu)",
	             parser->problem, parser->context,
	             parser->context_mark.line + 1,
	             parser->context_mark.column + 1);
}

static const yaml_char_t *
event_anchor(const yaml_event_t *event)
{
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return event->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return event->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return event->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/* The next event, or FALSE with `error`; anchors and aliases are refused
 * here because a shared node would break "one node, one position". */
static gboolean
next_event(Loader *loader, yaml_event_t *event, GError **error)
{
	if (!yaml_parser_parse(&loader->parser, event)) {
		yaml_error(loader, error);
		return FALSE;
	}
	if (event->type == YAML_ALIAS_EVENT || event_anchor(event) != NULL) {
		syntax_error(loader, error, &event->start_mark,
		             "YAML anchors and aliases are not allowed");
		yaml_event_delete(event);
		return FALSE;
	}
	return TRUE;
}

static gboolean
is_null_text(const char *text)
{
	return text[0] == '\0' || strcmp(text, "~") == 0
	       || strcmp(text, "null") == 0 || strcmp(text, "Null") == 0
	       || strcmp(text, "NULL") == 0;
}

/* A scalar's text; FALSE with `error` when it holds a NUL character. */
static gboolean
scalar_text(Loader *loader,
            const yaml_event_t *event,
            char **text,
            GError **error)
{
	const char *value = (const char *)event->data.scalar.value;

	if (strlen(value) != event->data.scalar.length) {
		syntax_error(loader, error, &event->start_mark,
		             "a value must not contain NUL");
		return FALSE;
	}
	*text = g_strdup(value);
	return TRUE;
}

static RavenConfigNode *
parse_scalar(Loader *loader, const yaml_event_t *event, GError **error)
{
	gboolean plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	g_autofree char *text = NULL;
	RavenConfigNode *node;

	if (!scalar_text(loader, event, &text, error))
		return NULL;
	if (plain && is_null_text(text))
		return node_new(loader, RAVEN_NODE_NULL, &event->start_mark);
	node = node_new(loader, RAVEN_NODE_SCALAR, &event->start_mark);
	node->text = g_steal_pointer(&text);
	node->quoted = !plain;
	return node;
}

static RavenConfigNode *parse_node(Loader *loader,
                                   const yaml_event_t *event,
                                   guint depth,
                                   GError **error);

static gboolean
parse_value(Loader *loader,
            guint depth,
            RavenConfigNode **value,
            GError **error)
{
	yaml_event_t event;

	if (!next_event(loader, &event, error))
		return FALSE;
	*value = parse_node(loader, &event, depth, error);
	yaml_event_delete(&event);
	return *value != NULL;
}

static gboolean
add_map_entry(Loader *loader,
              RavenConfigNode *map,
              const yaml_event_t *event,
              guint depth,
              GError **error)
{
	RavenMapKey key = { NULL, event->start_mark.line + 1,
		            event->start_mark.column + 1 };
	RavenConfigNode *value = NULL;
	gpointer first;

	if (event->type != YAML_SCALAR_EVENT) {
		syntax_error(loader, error, &event->start_mark,
		             "a key must be a single value, not a map or list");
		return FALSE;
	}
	if (!scalar_text(loader, event, &key.name, error))
		return FALSE;
	first = g_hash_table_lookup(map->index, key.name);
	if (first != NULL) {
		guint i = GPOINTER_TO_UINT(first) - 1;

		syntax_error(loader, error, &event->start_mark,
		             "duplicate key '%s' (first at line %u)", key.name,
		             g_array_index(map->keys, RavenMapKey, i).line);
		g_free(key.name);
		return FALSE;
	}
	if (!parse_value(loader, depth, &value, error)) {
		g_free(key.name);
		return FALSE;
	}
	/* A null has no text to point at: point at its key instead. */
	if (value->kind == RAVEN_NODE_NULL) {
		value->line = key.line;
		value->column = key.column;
	}
	g_array_append_val(map->keys, key);
	g_ptr_array_add(map->items, value);
	g_hash_table_insert(map->index, key.name,
	                    GUINT_TO_POINTER(map->items->len));
	return TRUE;
}

static RavenConfigNode *
parse_map(Loader *loader,
          const yaml_event_t *start,
          guint depth,
          GError **error)
{
	g_autoptr(RavenConfigNode) map
		= node_new(loader, RAVEN_NODE_MAP, &start->start_mark);

	for (;;) {
		yaml_event_t event;
		gboolean ok;

		if (!next_event(loader, &event, error))
			return NULL;
		if (event.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&event);
			return g_steal_pointer(&map);
		}
		ok = add_map_entry(loader, map, &event, depth, error);
		yaml_event_delete(&event);
		if (!ok)
			return NULL;
	}
}

static RavenConfigNode *
parse_list(Loader *loader,
           const yaml_event_t *start,
           guint depth,
           GError **error)
{
	g_autoptr(RavenConfigNode) list
		= node_new(loader, RAVEN_NODE_LIST, &start->start_mark);

	for (;;) {
		yaml_event_t event;
		RavenConfigNode *item;

		if (!next_event(loader, &event, error))
			return NULL;
		if (event.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&event);
			return g_steal_pointer(&list);
		}
		item = parse_node(loader, &event, depth, error);
		yaml_event_delete(&event);
		if (item == NULL)
			return NULL;
		g_ptr_array_add(list->items, item);
	}
}

/* `depth` counts the maps and lists around `event`. */
static RavenConfigNode *
parse_node(Loader *loader,
           const yaml_event_t *event,
           guint depth,
           GError **error)
{
	gboolean map = event->type == YAML_MAPPING_START_EVENT;

	if (event->type == YAML_SCALAR_EVENT)
		return parse_scalar(loader, event, error);
	if (!map && event->type != YAML_SEQUENCE_START_EVENT) {
		syntax_error(loader, error, &event->start_mark,
		             "unexpected YAML event %d", event->type);
		return NULL;
	}
	if (depth >= MAX_DEPTH) {
		syntax_error(loader, error, &event->start_mark,
		             "nesting deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	if (map)
		return parse_map(loader, event, depth + 1, error);
	return parse_list(loader, event, depth + 1, error);
}

/* Reads `expected` and throws it away. */
static gboolean
skip_event(Loader *loader, yaml_event_type_t expected, GError **error)
{
	yaml_event_t event;
	gboolean ok;

	if (!next_event(loader, &event, error))
		return FALSE;
	ok = event.type == expected;
	if (!ok && event.type == YAML_DOCUMENT_START_EVENT)
		syntax_error(loader, error, &event.start_mark,
		             "more than one YAML document in the file");
	else if (!ok)
		syntax_error(loader, error, &event.start_mark,
		             "unexpected YAML event %d", event.type);
	yaml_event_delete(&event);
	return ok;
}

static RavenConfigNode *
parse_root(Loader *loader, GError **error)
{
	g_autoptr(RavenConfigNode) root = NULL;
	yaml_event_t event;

	if (!skip_event(loader, YAML_STREAM_START_EVENT, error))
		return NULL;
	if (!next_event(loader, &event, error))
		return NULL;
	if (event.type == YAML_STREAM_END_EVENT) {
		/* Nothing but comments: an empty map at 1:1. */
		root = node_new(loader, RAVEN_NODE_MAP, &event.start_mark);
		root->line = root->column = 1;
		yaml_event_delete(&event);
		return g_steal_pointer(&root);
	}
	yaml_event_delete(&event);
	if (!parse_value(loader, 0, &root, error))
		return NULL;
	if (root->kind == RAVEN_NODE_NULL) {
		yaml_mark_t mark = { 0, root->line - 1, root->column - 1 };

		g_clear_pointer(&root, node_free);
		root = node_new(loader, RAVEN_NODE_MAP, &mark);
	}
	if (root->kind != RAVEN_NODE_MAP) {
		g_set_error(error, RAVEN_CONFIG_ERROR,
		            RAVEN_CONFIG_ERROR_SYNTAX,
		            "%s:%u:%u: the top level must be a map of keys",
		            loader->file, root->line, root->column);
		return NULL;
	}
	if (!skip_event(loader, YAML_DOCUMENT_END_EVENT, error)
	    || !skip_event(loader, YAML_STREAM_END_EVENT, error))
		return NULL;
	return g_steal_pointer(&root);
}

static RavenConfig *
load(const char *name,
     const char *text,
     gsize len,
     char *folder,
     GError **error)
{
	g_autoptr(RavenConfig) config = g_new0(RavenConfig, 1);
	Loader loader = { .text = text, .len = len };

	g_atomic_ref_count_init(&config->ref);
	config->file = g_strdup(name);
	config->folder = folder;
	if (len > MAX_FILE_SIZE) {
		g_set_error(error, RAVEN_CONFIG_ERROR, RAVEN_CONFIG_ERROR_IO,
		            "%s:1:1: the file is larger than 1 MiB", name);
		return NULL;
	}
	loader.file = config->file;
	if (!yaml_parser_initialize(&loader.parser))
		g_error("raven-config: out of memory");
	yaml_parser_set_input_string(&loader.parser, (const guchar *)text, len);
	config->root = parse_root(&loader, error);
	yaml_parser_delete(&loader.parser);
	if (config->root == NULL)
		return NULL;
	return g_steal_pointer(&config);
}

/* Reads at most one byte more than allowed, so load() can refuse it. */
static char *
read_file(const char *path, gsize *len, GError **error)
{
	FILE *file = g_fopen(path, "rb");
	g_autofree char *text = NULL;
	int saved;

	if (file == NULL)
		goto failed;
	text = g_malloc(MAX_FILE_SIZE + 2);
	*len = fread(text, 1, MAX_FILE_SIZE + 1, file);
	if (ferror(file))
		goto failed;
	fclose(file);
	text[*len] = '\0';
	return g_steal_pointer(&text);

failed:
	saved = errno;
	if (file != NULL)
		fclose(file);
	g_set_error(error, RAVEN_CONFIG_ERROR, RAVEN_CONFIG_ERROR_IO, "%s: %s",
	            path, g_strerror(saved));
	return NULL;
}

RavenConfig *
raven_config_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autofree char *folder = NULL;
	gsize len = 0;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	text = read_file(path, &len, error);
	if (text == NULL)
		return NULL;
	folder = g_path_get_dirname(path);
	return load(path, text, len, g_canonicalize_filename(folder, NULL),
	            error);
}

RavenConfig *
raven_config_load_data(const char *name,
                       const char *text,
                       gsize len,
                       GError **error)
{
	g_return_val_if_fail(name != NULL, NULL);
	g_return_val_if_fail(text != NULL || len == 0, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	return load(name, text ? text : "", len, g_get_current_dir(), error);
}

RavenConfig *
raven_config_ref(RavenConfig *config)
{
	g_return_val_if_fail(config != NULL, NULL);

	g_atomic_ref_count_inc(&config->ref);
	return config;
}

void
raven_config_unref(RavenConfig *config)
{
	g_return_if_fail(config != NULL);

	if (!g_atomic_ref_count_dec(&config->ref))
		return;
	node_free(config->root);
	g_free(config->file);
	g_free(config->folder);
	g_free(config);
}

const RavenConfigNode *
raven_config_root(RavenConfig *config)
{
	g_return_val_if_fail(config != NULL, NULL);

	return config->root;
}

const char *
raven_config_file(RavenConfig *config)
{
	g_return_val_if_fail(config != NULL, NULL);

	return config->file;
}

char *
raven_config_resolve_path(RavenConfig *config, const char *path)
{
	g_return_val_if_fail(config != NULL, NULL);
	g_return_val_if_fail(path != NULL, NULL);

	return g_canonicalize_filename(path, config->folder);
}

/* ------------------------------------------------------------------------
 * Getters
 */
const RavenConfigNode *
raven_config_get(const RavenConfigNode *map, const char *key)
{
	gpointer position;

	g_return_val_if_fail(key != NULL, NULL);

	if (map == NULL || map->kind != RAVEN_NODE_MAP)
		return NULL;
	position = g_hash_table_lookup(map->index, key);
	if (position == NULL)
		return NULL;
	return g_ptr_array_index(map->items, GPOINTER_TO_UINT(position) - 1);
}

/* The scalar under `key`, or NULL when it is absent, null or not a scalar. */
static const RavenConfigNode *
get_scalar(const RavenConfigNode *map, const char *key)
{
	const RavenConfigNode *node = raven_config_get(map, key);

	return node != NULL && node->kind == RAVEN_NODE_SCALAR ? node : NULL;
}

const char *
raven_config_get_string(const RavenConfigNode *map,
                        const char *key,
                        const char *fallback)
{
	const RavenConfigNode *node = get_scalar(map, key);

	return node != NULL ? node->text : fallback;
}

/* The value under `key` as `type`: the one validation stored, else parsed
 * now.  FALSE when absent, null, not a scalar or not of that type. */
static gboolean
get_typed(const RavenConfigNode *map,
          const char *key,
          RavenConfigType type,
          RavenConfigValue *value)
{
	const RavenConfigNode *node = get_scalar(map, key);

	if (node == NULL)
		return FALSE;
	if (node->type == type) {
		*value = node->value;
		return TRUE;
	}
	return raven_config_parse_value(node->text, type, value);
}

gint64
raven_config_get_int(const RavenConfigNode *map,
                     const char *key,
                     gint64 fallback)
{
	RavenConfigValue value;

	if (!get_typed(map, key, RAVEN_CONFIG_INT, &value))
		return fallback;
	return value.i;
}

gboolean
raven_config_get_bool(const RavenConfigNode *map,
                      const char *key,
                      gboolean fallback)
{
	RavenConfigValue value;

	if (!get_typed(map, key, RAVEN_CONFIG_BOOL, &value))
		return fallback;
	return value.b;
}

guint64
raven_config_get_size(const RavenConfigNode *map,
                      const char *key,
                      guint64 fallback)
{
	RavenConfigValue value;

	if (!get_typed(map, key, RAVEN_CONFIG_SIZE, &value))
		return fallback;
	return value.u;
}

guint64
raven_config_get_duration_ms(const RavenConfigNode *map,
                             const char *key,
                             guint64 fallback)
{
	RavenConfigValue value;

	if (!get_typed(map, key, RAVEN_CONFIG_DURATION, &value))
		return fallback;
	return value.u;
}

guint
raven_config_length(const RavenConfigNode *node)
{
	return node != NULL && node->items != NULL ? node->items->len : 0;
}

const RavenConfigNode *
raven_config_item(const RavenConfigNode *node, guint index)
{
	if (index >= raven_config_length(node))
		return NULL;
	return g_ptr_array_index(node->items, index);
}

const char *
raven_config_key(const RavenConfigNode *node, guint index)
{
	if (node == NULL || node->kind != RAVEN_NODE_MAP
	    || index >= node->keys->len)
		return NULL;
	return g_array_index(node->keys, RavenMapKey, index).name;
}

const char *
raven_config_scalar(const RavenConfigNode *node)
{
	return node != NULL && node->kind == RAVEN_NODE_SCALAR ? node->text
	                                                       : NULL;
}

char *
raven_config_where(const RavenConfigNode *node)
{
	g_return_val_if_fail(node != NULL, NULL);

	return g_strdup_printf("%s:%u:%u", node->file, node->line,
	                       node->column);
}

char *
raven_config_key_where(const RavenConfigNode *map, guint index)
{
	const RavenMapKey *key;

	g_return_val_if_fail(map != NULL && map->kind == RAVEN_NODE_MAP, NULL);
	g_return_val_if_fail(index < map->keys->len, NULL);
	key = &g_array_index(map->keys, RavenMapKey, index);
	return g_strdup_printf("%s:%u:%u", map->file, key->line, key->column);
}

guint
raven_config_line(const RavenConfigNode *node)
{
	g_return_val_if_fail(node != NULL, 0);

	return node->line;
}

guint
raven_config_column(const RavenConfigNode *node)
{
	g_return_val_if_fail(node != NULL, 0);

	return node->column;
}
