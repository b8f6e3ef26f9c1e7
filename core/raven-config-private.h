/* raven-config-private.h: the config tree's nodes, for raven-config*.c only.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_CONFIG_PRIVATE_H
#define RAVEN_CONFIG_PRIVATE_H

#include "raven-config.h"

typedef enum {
	RAVEN_NODE_NULL, /* plain "", "~" or "null" */
	RAVEN_NODE_SCALAR,
	RAVEN_NODE_MAP,
	RAVEN_NODE_LIST,
} RavenNodeKind;

typedef struct {
	char *name;
	guint line;
	guint column;
} RavenMapKey;

typedef union {
	gint64 i;   /* INT */
	guint64 u;  /* SIZE, DURATION (ms) */
	gboolean b; /* BOOL */
} RavenConfigValue;

struct RavenConfigNode {
	RavenNodeKind kind;
	guint line; /* 1-based; a null map value sits at its key */
	guint column;
	const char *file;  /* owned by the RavenConfig */
	char *text;        /* SCALAR */
	gboolean quoted;   /* SCALAR: written in quotes */
	GPtrArray *items;  /* MAP: values; LIST: items */
	GArray *keys;      /* MAP: RavenMapKey, in file order */
	GHashTable *index; /* MAP: key name -> its position + 1 */
	/* Set by raven_config_validate(); 0 until then. */
	RavenConfigType type;
	RavenConfigValue value;
};

/* Parse `text` as a scalar of `type` (INT, BOOL, SIZE, DURATION, ADDRESS;
 * any other type accepts every text).  FALSE when it does not parse. */
gboolean raven_config_parse_value(const char *text,
                                  RavenConfigType type,
                                  RavenConfigValue *value);

#endif /* RAVEN_CONFIG_PRIVATE_H */
