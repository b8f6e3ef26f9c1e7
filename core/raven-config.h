/* raven-config.h: raven.yaml read into an immutable, typed tree.
 * SPDX-License-Identifier: MIT
 *
 * Loading is two steps: raven_config_load() parses the YAML (syntax errors,
 * duplicate keys, aliases refused), then raven_config_validate() checks a
 * subtree against a schema (RavenConfigKey tables from raven-plugin.h) and
 * stores the typed values in the nodes.  After validation the tree is not
 * changed again, and the getters cannot fail.
 *
 * Every problem is reported as "FILE:LINE:COLUMN: message" (1-based), with
 * FILE the path as given to raven_config_load().
 */
#ifndef RAVEN_CONFIG_H
#define RAVEN_CONFIG_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

#define RAVEN_CONFIG_ERROR (raven_config_error_quark())
GQuark raven_config_error_quark(void);

typedef enum {
	RAVEN_CONFIG_ERROR_IO,      /* the file cannot be read */
	RAVEN_CONFIG_ERROR_SYNTAX,  /* not YAML, or YAML we refuse */
	RAVEN_CONFIG_ERROR_INVALID, /* does not match the schema */
} RavenConfigError;

typedef struct RavenConfig RavenConfig;

/* Parse `path`.  NULL with `error` (message "FILE:LINE:COLUMN: ...") when it
 * cannot be read, is not YAML, holds an anchor or alias, a duplicate key,
 * nests deeper than 64 or is larger than 1 MiB.  An empty file is an empty
 * map.  (transfer full) */
RavenConfig *raven_config_load(const char *path, GError **error);

/* The same for text in memory; `name` stands for the file in messages and
 * relative paths resolve against the current folder. */
RavenConfig *raven_config_load_data(const char *name,
                                    const char *text,
                                    gsize len,
                                    GError **error);

RavenConfig *raven_config_ref(RavenConfig *config);
void raven_config_unref(RavenConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenConfig, raven_config_unref)

/* The top-level node (a map, possibly empty). */
const RavenConfigNode *raven_config_root(RavenConfig *config);
const char *raven_config_file(RavenConfig *config);

/* Check `node` against `schema` (a MAP's key table).  A NULL node (the key
 * is absent) or a YAML null stands for an empty map.  Each problem is
 * appended to `problems` as a "FILE:LINE:COLUMN: message" string (transfer
 * full: the array must free its items with g_free).  Returns TRUE when none
 * was found.  Messages:
 *   unknown key 'listn' in plugins.smtp (known: listen, max_message_size)
 *   duplicate key ...  (reported by load)
 *   'quota' must be a size such as 25M or 1G, not '25Q'
 *   'port' must be a whole number, not 'abc'
 *   'enabled' must be true or false, not 'maybe'
 *   'tls' must be one of starttls, implicit, none, not 'sometimes'
 *   'listen' must be a list / a map / a single value
 *   missing required key 'hostname' in server
 * `where` names the subtree in messages ("server", "plugins.smtp"). */
gboolean raven_config_validate(RavenConfig *config,
                               const RavenConfigNode *node,
                               const RavenConfigKey *schema,
                               const char *where,
                               GPtrArray *problems);

/* Resolve `path` against the config file's folder (transfer full). */
char *raven_config_resolve_path(RavenConfig *config, const char *path);

/* Getters: the ones in RavenCore.  `map` may be NULL (all fall back). */
const RavenConfigNode *raven_config_get(const RavenConfigNode *map,
                                        const char *key);
const char *raven_config_get_string(const RavenConfigNode *map,
                                    const char *key,
                                    const char *fallback);
gint64 raven_config_get_int(const RavenConfigNode *map,
                            const char *key,
                            gint64 fallback);
gboolean raven_config_get_bool(const RavenConfigNode *map,
                               const char *key,
                               gboolean fallback);
guint64 raven_config_get_size(const RavenConfigNode *map,
                              const char *key,
                              guint64 fallback);
guint64 raven_config_get_duration_ms(const RavenConfigNode *map,
                                     const char *key,
                                     guint64 fallback);
guint raven_config_length(const RavenConfigNode *node);
const RavenConfigNode *raven_config_item(const RavenConfigNode *node,
                                         guint index);
const char *raven_config_key(const RavenConfigNode *node, guint index);
const char *raven_config_scalar(const RavenConfigNode *node);
/* "FILE:LINE:COLUMN" (transfer full). */
char *raven_config_where(const RavenConfigNode *node);
/* "FILE:LINE:COLUMN" of the key at `index` of a map (transfer full). */
char *raven_config_key_where(const RavenConfigNode *map, guint index);
guint raven_config_line(const RavenConfigNode *node);
guint raven_config_column(const RavenConfigNode *node);

/* Parsers behind the typed values, also used by tests and ravenctl. */
gboolean raven_config_parse_size(const char *text, guint64 *bytes);
gboolean raven_config_parse_duration_ms(const char *text, guint64 *ms);
gboolean raven_config_parse_bool(const char *text, gboolean *value);
/* "host:port", "[v6]:port"; host may be a name.  Port 1..65535. */
gboolean
raven_config_parse_address(const char *text, char **host, guint16 *port);

G_END_DECLS

#endif /* RAVEN_CONFIG_H */
