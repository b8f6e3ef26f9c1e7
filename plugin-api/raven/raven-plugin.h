/* raven-plugin.h: the one header a Raven plugin builds against.
 * SPDX-License-Identifier: MIT
 *
 * A plugin is a shared object that exports one function,
 * raven_plugin_info(), returning a RavenPluginInfo.  The core checks its ABI,
 * validates the plugin's config section against `config_keys`, then calls
 * `init` with a table of core functions (RavenCore).  The plugin reaches the
 * core only through that table, so it links nothing from the core.
 *
 * ABI rules (as in SQLite's vfs and Redis modules):
 *  - every struct that crosses the boundary starts with its size and only
 *    grows at its end;
 *  - the core loads a plugin whose major equals RAVEN_ABI_MAJOR and whose
 *    minor is not newer than the core's;
 *  - a plugin that wants a function added in a later minor checks it with
 *    RAVEN_CORE_HAS() first.
 *
 * Threads: everything is called on the main loop thread unless its comment
 * says otherwise.
 */
#ifndef RAVEN_PLUGIN_H
#define RAVEN_PLUGIN_H

#include <glib.h>
#include <gio/gio.h>
#include <gmodule.h>
#include <stddef.h>

G_BEGIN_DECLS

#define RAVEN_ABI_MAJOR 1
#define RAVEN_ABI_MINOR 1

/* The name of the one symbol a plugin exports. */
#define RAVEN_PLUGIN_SYMBOL "raven_plugin_info"

/* TRUE when a size-prefixed struct `s` is large enough to hold `member`. */
#define RAVEN_STRUCT_HAS(s, type, member)                                      \
	((s)->size >= offsetof(type, member) + sizeof(((type *)0)->member))
#define RAVEN_CORE_HAS(core, member) RAVEN_STRUCT_HAS(core, RavenCore, member)

typedef struct RavenPlugin RavenPlugin; /* a loaded plugin, owned by the core */
typedef struct RavenConfigNode RavenConfigNode; /* a node of the config tree */
typedef struct RavenConn RavenConn;             /* one client connection */
typedef struct RavenCore RavenCore;

/* ------------------------------------------------------------------------
 * Config schema: a plugin describes its section as a table of keys; the core
 * validates the section against it before init and reports every problem as
 * file:line:column.  Getters on validated nodes cannot fail.
 */
typedef enum {
	RAVEN_CONFIG_STRING = 1,
	RAVEN_CONFIG_INT,       /* a decimal integer */
	RAVEN_CONFIG_BOOL,      /* true/false, yes/no, on/off */
	RAVEN_CONFIG_SIZE,      /* bytes; suffixes K, M, G (powers of 1024) */
	RAVEN_CONFIG_DURATION,  /* seconds; suffixes ms, s, m, h, d */
	RAVEN_CONFIG_MAP,       /* known keys, listed in `children` (NULL:
	                         * any keys, the plugin checks them) */
	RAVEN_CONFIG_LIST,      /* items shaped as `children[0]` */
	RAVEN_CONFIG_DICT,      /* free keys, values shaped as `children[0]` */
	RAVEN_CONFIG_ADDRESS,   /* host:port, [v6]:port */
	RAVEN_CONFIG_LISTENERS, /* a protocol's listeners, see below */
} RavenConfigType;

#define RAVEN_CONFIG_REQUIRED (1u << 0)

typedef struct RavenConfigKey RavenConfigKey;
struct RavenConfigKey {
	const char *name; /* NULL ends a table; ignored for LIST/DICT items */
	RavenConfigType type;
	guint flags;                    /* RAVEN_CONFIG_REQUIRED */
	const RavenConfigKey *children; /* see RavenConfigType */
	const char *const *choices;     /* STRING: allowed values, or NULL */
};

/* RAVEN_CONFIG_LISTENERS is the shape of a protocol's `listen:` key, a list
 * of {address: HOST:PORT, tls: starttls|implicit|none, role: NAME}:
 *   listen: [{address: 127.0.0.1:2143}, {address: 127.0.0.1:2993, tls:
 * implicit}] The core opens the listeners of every registered protocol from it.
 */
#define RAVEN_CONFIG_LISTEN_KEY                                                \
	{                                                                      \
		"listen", RAVEN_CONFIG_LISTENERS, 0, NULL, NULL                \
	}

/* ------------------------------------------------------------------------
 * Protocols: the core accepts connections on the listeners of the plugin's
 * section and hands each one to `accept`.  A connection delivers input as
 * lines (bounded; the rest of an over-long line is drained, not buffered) or
 * as raw bytes, and buffers output.
 */
typedef enum {
	RAVEN_TLS_STARTTLS = 0, /* plaintext first; STARTTLS offered */
	RAVEN_TLS_IMPLICIT,     /* TLS from the first byte */
	RAVEN_TLS_NONE,         /* never TLS */
} RavenTlsMode;

typedef struct {
	gsize size;
	/* A line arrived, without its line ending.  `len` counts its bytes
	 * (the line may hold NUL bytes).  `crlf` is FALSE when it ended with a
	 * bare LF.  `too_long` is TRUE when it passed the limit: `line` is then
	 * empty and the rest of it was thrown away. */
	void (*on_line)(RavenConn *conn,
	                const char *line,
	                gsize len,
	                gboolean crlf,
	                gboolean too_long,
	                gpointer session);
	/* Raw mode: bytes arrived; return how many were used.  Unused bytes
	 * are offered again, with more, when more arrive. */
	gsize (*on_data)(RavenConn *conn,
	                 const guint8 *data,
	                 gsize len,
	                 gpointer session);
	/* The connection is gone (peer closed, error, timeout, shutdown or
	 * raven_conn_close finished).  Free the session here; `conn` is freed
	 * by the core after this returns. */
	void (*on_close)(RavenConn *conn, gpointer session);
	/* Nullable: all buffered output has been written. */
	void (*on_drained)(RavenConn *conn, gpointer session);
	/* Nullable: the idle timeout passed.  Without it the core closes. */
	void (*on_timeout)(RavenConn *conn, gpointer session);
} RavenConnHandler;

typedef struct {
	gsize size;
	const char *name; /* "smtp", "imap" ... */
	/* Reply sent, then the connection closed, when a connection limit is
	 * hit, e.g. "421 4.7.0 Too many connections\r\n". */
	const char *busy_reply;
	/* A new connection; return the session (owned by the plugin) after
	 * calling core->conn_set_handler().  `role` is the listener's role
	 * ("" when not configured).  For implicit TLS the handshake is done
	 * before accept is called. */
	gpointer (*accept)(RavenConn *conn, const char *role, gpointer data);
	/* The daemon is stopping: end the session politely soon (a reply
	 * such as "421 shutting down" then core->conn_close). */
	void (*drain)(RavenConn *conn, gpointer session);
} RavenProtocol;

/* Called when STARTTLS finished; on failure the connection is closing. */
typedef void (*RavenTlsDone)(RavenConn *conn, gboolean ok, gpointer session);

/* ------------------------------------------------------------------------
 * Filters: called at SMTP phases; each returns a verdict and may add score
 * under named symbols.  Asynchronous: a filter calls `done` once, from the
 * main loop, possibly later.
 */
typedef enum {
	RAVEN_PHASE_CONNECT = 1,
	RAVEN_PHASE_HELO,
	RAVEN_PHASE_MAIL,
	RAVEN_PHASE_RCPT,
	RAVEN_PHASE_DATA, /* end of data: the whole message is there */
} RavenFilterPhase;

typedef enum {
	RAVEN_VERDICT_PROCEED = 0, /* no opinion; next filter */
	RAVEN_VERDICT_ACCEPT,      /* accept now, skip the remaining filters */
	RAVEN_VERDICT_JUNK,        /* accept, deliver into Junk */
	RAVEN_VERDICT_TEMPFAIL,    /* 4xx */
	RAVEN_VERDICT_REJECT,      /* 5xx */
	RAVEN_VERDICT_DISCARD,     /* accept and drop */
	RAVEN_VERDICT_DISCONNECT,  /* 421 and close */
} RavenVerdict;

typedef struct {
	gsize size;
	RavenFilterPhase phase;
	const char *client_address;
	const char *helo;      /* nullable before HELO */
	const char *sender;    /* nullable before MAIL; "" for <> */
	const char *recipient; /* RCPT phase: the recipient being checked */
	const char *const *recipients; /* DATA phase: accepted recipients */
	GBytes *message;               /* DATA phase: the message as received */
	const char *auth_user;         /* nullable: the authenticated user */
} RavenFilterContext;

typedef struct {
	gsize size;
	RavenVerdict verdict;
	guint reply_code;   /* optional: own reply code, e.g. 550 */
	char *reply_text;   /* optional (owned by the core after done) */
	double score;       /* added to the message's score */
	GPtrArray *symbols; /* optional: char * names that scored */
} RavenFilterResult;

typedef void (*RavenFilterDone)(RavenFilterResult *result, gpointer done_data);

typedef struct {
	gsize size;
	const char *name;
	guint phases; /* bit mask: 1 << RAVEN_PHASE_* it wants */
	void (*check)(const RavenFilterContext *ctx,
	              RavenFilterResult *result,
	              RavenFilterDone done,
	              gpointer done_data,
	              gpointer data);
} RavenFilter;

/* ------------------------------------------------------------------------
 * Delivery agents: decide per accepted recipient what happens to a message.
 */
typedef enum {
	RAVEN_ACTION_FILE_INTO = 1, /* argument: folder */
	RAVEN_ACTION_FORWARD,       /* argument: address */
	RAVEN_ACTION_REPLY,         /* argument: reply text */
	RAVEN_ACTION_REJECT,        /* argument: reason */
	RAVEN_ACTION_DISCARD,
	RAVEN_ACTION_FLAG,   /* argument: flag or keyword */
	RAVEN_ACTION_NOTIFY, /* argument: URL (webhook) */
} RavenActionType;

typedef struct {
	RavenActionType type;
	char *argument; /* nullable */
} RavenAction;

typedef struct {
	gsize size;
	const char *sender;
	const char *recipient; /* the local user */
	GBytes *message;
	gboolean junk; /* the filter chain said junk */
	double score;
} RavenDeliveryContext;

typedef struct {
	gsize size;
	const char *name;
	/* Append RavenAction values (owned by the array, free `argument`) to
	 * `actions`.  Return FALSE with `error` when the agent itself failed:
	 * the core then delivers to INBOX and logs the error.  Runs on a
	 * worker thread. */
	gboolean (*decide)(const RavenDeliveryContext *ctx,
	                   GArray *actions,
	                   gpointer data,
	                   GError **error);
} RavenDeliveryAgent;

/* ------------------------------------------------------------------------
 * Storage: the mailboxes of users.  Operations are synchronous and may be
 * called from worker threads; an implementation locks what it shares.
 * RavenMailbox is the storage's own object for one open folder.
 */
typedef struct RavenMailbox RavenMailbox;

typedef enum {
	RAVEN_FLAG_SEEN = 1 << 0,
	RAVEN_FLAG_ANSWERED = 1 << 1,
	RAVEN_FLAG_FLAGGED = 1 << 2,
	RAVEN_FLAG_DELETED = 1 << 3,
	RAVEN_FLAG_DRAFT = 1 << 4,
} RavenFlags;

typedef enum {
	RAVEN_STORE_SET = 0,
	RAVEN_STORE_ADD,
	RAVEN_STORE_REMOVE,
} RavenStoreMode;

typedef struct {
	gsize size;
	guint32 uidvalidity;
	guint32 uidnext;
	guint64 highest_modseq;
	guint messages;
	guint unseen;
	guint recent;
} RavenMailboxStatus;

typedef struct {
	gsize size;
	guint32 uid;
	guint flags;     /* RavenFlags */
	char **keywords; /* NULL-terminated, nullable */
	guint64 modseq;
	gint64 internal_date; /* Unix seconds */
	guint64 message_size;
} RavenMessageInfo;

typedef struct {
	gsize size;
	const char *name;        /* "Drafts" ... */
	const char *special_use; /* "\\Drafts" ..., nullable */
	gboolean has_children;
	gboolean subscribed;
	/* ABI 1.1 (RAVEN_STRUCT_HAS): a subscribed name with no folder
	 * behind it (IMAP keeps subscriptions of deleted mailboxes). */
	gboolean nonexistent;
} RavenFolderInfo;

/* Told of changes to an open mailbox (for IDLE and other sessions).  Called
 * on the main loop. */
typedef void (*RavenMailboxChanged)(RavenMailbox *mailbox, gpointer data);

typedef struct {
	gsize size;
	const char *name; /* "maildir" */
	/* Folders of `user`, as RavenFolderInfo * (transfer full). */
	GPtrArray *(*list_folders)(const char *user,
	                           gpointer data,
	                           GError **error);
	gboolean (*create_folder)(const char *user,
	                          const char *folder,
	                          gpointer data,
	                          GError **error);
	gboolean (*delete_folder)(const char *user,
	                          const char *folder,
	                          gpointer data,
	                          GError **error);
	gboolean (*rename_folder)(const char *user,
	                          const char *from,
	                          const char *to,
	                          gpointer data,
	                          GError **error);
	RavenMailbox *(*open)(const char *user,
	                      const char *folder,
	                      gpointer data,
	                      GError **error);
	void (*close)(RavenMailbox *mailbox);
	gboolean (*status)(RavenMailbox *mailbox,
	                   RavenMailboxStatus *status,
	                   GError **error);
	/* Messages as RavenMessageInfo * (transfer full), in UID order. */
	GPtrArray *(*list_messages)(RavenMailbox *mailbox, GError **error);
	/* Store a message; returns its UID or 0 with `error`. */
	guint32 (*append)(RavenMailbox *mailbox,
	                  GBytes *message,
	                  guint flags,
	                  const char *const *keywords,
	                  gint64 internal_date,
	                  GError **error);
	GBytes *(*fetch)(RavenMailbox *mailbox, guint32 uid, GError **error);
	gboolean (*store)(RavenMailbox *mailbox,
	                  guint32 uid,
	                  RavenStoreMode mode,
	                  guint flags,
	                  const char *const *keywords,
	                  GError **error);
	/* Copy to another folder of the same user; returns the new UID. */
	guint32 (*copy)(RavenMailbox *mailbox,
	                guint32 uid,
	                const char *folder,
	                GError **error);
	guint32 (*move)(RavenMailbox *mailbox,
	                guint32 uid,
	                const char *folder,
	                GError **error);
	/* Remove messages flagged \Deleted; their UIDs go to `expunged`
	 * (nullable, guint32 items). */
	gboolean (*expunge)(RavenMailbox *mailbox,
	                    GArray *expunged,
	                    GError **error);
	gboolean (*quota)(const char *user,
	                  guint64 *used,
	                  guint64 *limit,
	                  gpointer data,
	                  GError **error);
	/* Watch an open mailbox; returns an id for unwatch. */
	guint (*watch)(RavenMailbox *mailbox,
	               RavenMailboxChanged changed,
	               gpointer changed_data);
	void (*unwatch)(RavenMailbox *mailbox, guint id);
	/* Deliver a new message into `folder` of `user` (created on first
	 * use), exactly once: a second call with the same `key` stores
	 * nothing and returns the UID of the first.  The message is on disk
	 * (fsynced) when it returns.  RAVEN_STORAGE_ERROR_QUOTA when it does
	 * not fit.  Returns the UID, or 0 with `error`. */
	guint32 (*deliver)(const char *user,
	                   const char *folder,
	                   GBytes *message,
	                   const char *key,
	                   gpointer data,
	                   GError **error);
	/* Subscribe `user` to `folder` or drop the subscription (IMAP
	 * SUBSCRIBE/UNSUBSCRIBE); the folder need not exist. */
	gboolean (*set_subscribed)(const char *user,
	                           const char *folder,
	                           gboolean subscribed,
	                           gpointer data,
	                           GError **error);
	/* Like expunge, but only the \Deleted messages among `uids` (IMAP UID
	 * EXPUNGE, POP3's QUIT): other \Deleted messages stay. */
	gboolean (*expunge_uids)(RavenMailbox *mailbox,
	                         const guint32 *uids,
	                         guint n_uids,
	                         GArray *expunged,
	                         GError **error);

	/* ABI 1.1 (check with RAVEN_STRUCT_HAS; nullable) */
	/* The UIDs of messages expunged after mod-sequence `modseq`, in
	 * ascending order, appended to `uids` (guint32 items), for IMAP
	 * QRESYNC.  FALSE when the storage cannot tell (it no longer
	 * remembers that far back; `error` is set only when something
	 * failed): the caller then takes every UID it cannot find as
	 * expunged. */
	gboolean (*expunged_since)(RavenMailbox *mailbox,
	                           guint64 modseq,
	                           GArray *uids,
	                           GError **error);
} RavenStorage;

/* Errors of storages, one domain for all of them. */
#define RAVEN_STORAGE_ERROR (g_quark_from_static_string("raven-storage-error"))
typedef enum {
	RAVEN_STORAGE_ERROR_IO,        /* the disk failed */
	RAVEN_STORAGE_ERROR_NOT_FOUND, /* no such folder or message */
	RAVEN_STORAGE_ERROR_EXISTS,    /* the folder exists already */
	RAVEN_STORAGE_ERROR_INVALID,   /* a bad folder name */
	RAVEN_STORAGE_ERROR_QUOTA,     /* over the user's quota */
	RAVEN_STORAGE_ERROR_STALE,     /* the mailbox changed under us */
} RavenStorageError;

/* A storage layer sees every message on its way into and out of storage
 * (the crypt plugin encrypts on append and decrypts on fetch).  Runs on
 * worker threads. */
typedef struct {
	gsize size;
	const char *name;
	GBytes *(*on_append)(const char *user,
	                     GBytes *message,
	                     gpointer data,
	                     GError **error);
	GBytes *(*on_fetch)(const char *user,
	                    GBytes *stored,
	                    gpointer data,
	                    GError **error);
} RavenStorageLayer;

/* ------------------------------------------------------------------------
 * Events: the core's bus.  Subscribers are called on the main loop, in the
 * order they subscribed; the event and its strings live for the call only.
 */
typedef enum {
	RAVEN_EVENT_MESSAGE_RECEIVED = 1, /* accepted into the spool */
	RAVEN_EVENT_MESSAGE_DELIVERED,    /* stored locally or sent on */
	RAVEN_EVENT_MESSAGE_MOVED,        /* from `from_folder` to `folder` */
	RAVEN_EVENT_MESSAGE_DELETED,
	RAVEN_EVENT_DELIVERY_FAILED, /* `reason` says why */
	RAVEN_EVENT_USER_LOGGED_IN,
	RAVEN_EVENT_DELIVERY_DEFERRED,
	RAVEN_EVENT_LAST
} RavenEventType;

#define RAVEN_EVENT_MASK(type) (1u << (type))
#define RAVEN_EVENT_MASK_ALL 0xffffffffu

typedef struct {
	gsize size;
	RavenEventType type;
	const char *user;           /* nullable: mailbox owner */
	const char *folder;         /* nullable */
	const char *from_folder;    /* nullable: MOVED */
	guint32 uid;                /* 0 when none */
	const char *queue_id;       /* nullable: spool/queue id */
	const char *sender;         /* nullable */
	const char *recipient;      /* nullable */
	const char *reason;         /* nullable: failures */
	const char *client_address; /* nullable */
	const char *protocol;       /* nullable: "imap", "smtp" ... */
} RavenEvent;

typedef void (*RavenEventCallback)(const RavenEvent *event, gpointer data);

/* ------------------------------------------------------------------------
 * Messages on their way in: a protocol hands an accepted message and its
 * envelope to the core's spool; the core delivers it.
 */
#define RAVEN_NOTIFY_NEVER (1u << 0)
#define RAVEN_NOTIFY_SUCCESS (1u << 1)
#define RAVEN_NOTIFY_FAILURE (1u << 2)
#define RAVEN_NOTIFY_DELAY (1u << 3)

typedef struct {
	gsize size;
	const char *address; /* as given in RCPT TO, without <> */
	const char *orcpt;   /* nullable: DSN ORCPT=, as given */
	guint notify;        /* RAVEN_NOTIFY_* bits; 0: not given */
} RavenRecipient;

typedef struct {
	gsize size;
	const char *sender; /* "" for the null sender <> */
	const RavenRecipient *recipients;
	guint n_recipients;
	const char *envid; /* nullable: DSN ENVID= */
	gboolean ret_full; /* DSN RET=FULL (else HDRS or not given) */
	const char *client_address;
	const char *client_name; /* nullable: reverse DNS */
	const char *helo;
	const char *protocol;  /* "ESMTP", "ESMTPS", "ESMTPSA" ... */
	const char *auth_user; /* nullable */
	gboolean junk;         /* the filter chain said junk */
	double score;
	gboolean body_8bit; /* BODY=8BITMIME */
	gboolean smtputf8;
} RavenEnvelope;

/* The spool has the message (fsynced) when ok; `queue_id` names it in
 * logs and replies.  On failure `error` is a RAVEN_MESSAGE_ERROR whose code
 * says which reply to give. */
typedef void (*RavenSpoolDone)(gboolean ok,
                               const char *queue_id,
                               const GError *error,
                               gpointer data);

#define RAVEN_MESSAGE_ERROR (g_quark_from_static_string("raven-message-error"))
typedef enum {
	RAVEN_MESSAGE_ERROR_SYNTAX,   /* 550 5.6.0: the header is broken */
	RAVEN_MESSAGE_ERROR_TOO_DEEP, /* 554 5.6.0: MIME nesting too deep */
	RAVEN_MESSAGE_ERROR_TOO_MANY, /* 554 5.6.0: too many MIME parts */
	RAVEN_MESSAGE_ERROR_NO_SPACE, /* 452 4.3.1: the disk is full */
	RAVEN_MESSAGE_ERROR_IO,       /* 451 4.3.0: writing failed */
} RavenMessageError;

/* The filter chain's combined answer for one phase. */
typedef void (*RavenFilterChainDone)(const RavenFilterResult *result,
                                     gpointer data);

/* ------------------------------------------------------------------------
 * Users: authentication with the core's per-address failure delay and cache.
 */
#define RAVEN_AUTH_ERROR (g_quark_from_static_string("raven-auth-error-quark"))
typedef enum {
	RAVEN_AUTH_ERROR_FAILED, /* wrong user or password: never says which */
	RAVEN_AUTH_ERROR_INTERNAL, /* the check itself failed: try later */
} RavenAuthError;

typedef void (*RavenAuthDone)(gboolean ok,
                              const char *user, /* canonical, on success */
                              const GError *error,
                              gpointer data);

/* ------------------------------------------------------------------------
 * Transports (ABI 1.1): how the outbound queue sends mail to other
 * servers.  The queue groups a message's remote recipients by domain and
 * calls `send` once per domain, on one of its worker threads: a transport
 * may block (with timeouts) and must fill one result per recipient before
 * it returns.  The queue keeps the message, retries, expires and bounces.
 */
typedef struct {
	gsize size;
	const char *queue_id;
	const char *domain; /* the recipients' domain, lower case */
	const char *sender; /* "" for the null sender */
	const RavenRecipient *recipients;
	guint n_recipients;
	const char *envid; /* nullable: DSN ENVID= */
	gboolean ret_full;
	gboolean body_8bit;
	gboolean smtputf8;
	GBytes *message; /* as spooled: CRLF line ends, not dot-stuffed */
} RavenTransportJob;

typedef enum {
	RAVEN_TRANSPORT_SENT = 1, /* the next hop took it (2xx) */
	RAVEN_TRANSPORT_DEFERRED, /* 4xx, no connection, TLS missing ... */
	RAVEN_TRANSPORT_FAILED,   /* 5xx: bounce */
} RavenTransportOutcome;

/* What became of one recipient.  The transport sets the strings with
 * g_strdup; the queue frees them. */
typedef struct {
	RavenTransportOutcome outcome;
	char *status;      /* enhanced status code, "5.1.1"; nullable */
	char *diagnostic;  /* the remote reply ("550 5.1.1 no such user") or
	                    * what went wrong ("connection refused") */
	char *remote_host; /* nullable: "mx.remote.test [192.0.2.1]" */
} RavenTransportResult;

typedef struct {
	gsize size;
	const char *name;
	/* Worker thread.  `results` has job->n_recipients zeroed items. */
	void (*send)(const RavenTransportJob *job,
	             RavenTransportResult *results,
	             gpointer data);
} RavenTransport;

/* ------------------------------------------------------------------------
 * The core's table.  Only grows at its end.
 */
struct RavenCore {
	gsize size;
	guint abi_major;
	guint abi_minor;
	const char *version;

	/* Registration: legal only inside init.  `data` is passed back to
	 * every callback of the registered struct.  The struct must outlive
	 * the plugin (use a static).  FALSE and `error` when refused. */
	gboolean (*register_protocol)(RavenPlugin *plugin,
	                              const RavenProtocol *protocol,
	                              gpointer data,
	                              GError **error);
	gboolean (*register_storage)(RavenPlugin *plugin,
	                             const RavenStorage *storage,
	                             gpointer data,
	                             GError **error);
	gboolean (*register_filter)(RavenPlugin *plugin,
	                            const RavenFilter *filter,
	                            gpointer data,
	                            GError **error);
	gboolean (*register_delivery_agent)(RavenPlugin *plugin,
	                                    const RavenDeliveryAgent *agent,
	                                    gpointer data,
	                                    GError **error);
	gboolean (*register_storage_layer)(RavenPlugin *plugin,
	                                   const RavenStorageLayer *layer,
	                                   gpointer data,
	                                   GError **error);
	/* Subscribe to the event types in `mask` (RAVEN_EVENT_MASK). */
	gboolean (*subscribe)(RavenPlugin *plugin,
	                      guint mask,
	                      RavenEventCallback callback,
	                      gpointer data,
	                      GError **error);
	void (*publish)(const RavenEvent *event);

	/* Config getters on validated nodes.  `key` names a child of a map;
	 * a missing key gives `fallback`. */
	const RavenConfigNode *(*config_get)(const RavenConfigNode *map,
	                                     const char *key);
	const char *(*config_string)(const RavenConfigNode *map,
	                             const char *key,
	                             const char *fallback);
	gint64 (*config_int)(const RavenConfigNode *map,
	                     const char *key,
	                     gint64 fallback);
	gboolean (*config_bool)(const RavenConfigNode *map,
	                        const char *key,
	                        gboolean fallback);
	guint64 (*config_size)(const RavenConfigNode *map,
	                       const char *key,
	                       guint64 fallback);
	/* Durations in milliseconds. */
	guint64 (*config_duration_ms)(const RavenConfigNode *map,
	                              const char *key,
	                              guint64 fallback);
	/* LIST, DICT and MAP nodes: count, item, key of item. */
	guint (*config_length)(const RavenConfigNode *node);
	const RavenConfigNode *(*config_item)(const RavenConfigNode *node,
	                                      guint index);
	const char *(*config_key)(const RavenConfigNode *node, guint index);
	/* A scalar's text (NULL for a map or list). */
	const char *(*config_scalar)(const RavenConfigNode *node);
	/* "file:line:column" of a node, for messages (transfer full). */
	char *(*config_where)(const RavenConfigNode *node);
	/* A path from the config, made absolute against the config's folder
	 * (transfer full). */
	char *(*config_path)(const char *path);
	/* server.data_dir, absolute. */
	const char *(*data_dir)(void);
	const char *(*hostname)(void);

	/* Connections (protocol plugins). */
	void (*conn_set_handler)(RavenConn *conn,
	                         const RavenConnHandler *handler,
	                         gpointer session);
	/* Line mode (the default, 2048 bytes) with this many bytes at most. */
	void (*conn_read_lines)(RavenConn *conn, gsize max_line);
	void (*conn_read_raw)(RavenConn *conn);
	/* Stop and restart delivering input (while a command waits).  The
	 * core also holds input back by itself while more than 256 KiB of
	 * output is unread. */
	void (*conn_pause)(RavenConn *conn);
	void (*conn_resume)(RavenConn *conn);
	void (*conn_write)(RavenConn *conn, const void *data, gsize len);
	void (*conn_printf)(RavenConn *conn, const char *format, ...)
		G_GNUC_PRINTF(2, 3);
	gsize (*conn_pending_output)(RavenConn *conn);
	/* Flush output, then close; on_close follows. */
	void (*conn_close)(RavenConn *conn);
	/* Throw away buffered input, flush output, then run the TLS
	 * handshake; `done` reports the outcome.  Input pipelined before the
	 * handshake never reaches the session. */
	void (*conn_starttls)(RavenConn *conn, RavenTlsDone done);
	gboolean (*conn_is_tls)(RavenConn *conn);
	/* The listener's `tls:` mode. */
	RavenTlsMode (*conn_tls_mode)(RavenConn *conn);
	const char *(*conn_peer_address)(RavenConn *conn);
	const char *(*conn_local_address)(RavenConn *conn);
	/* Seconds of silence before on_timeout (0: none). */
	void (*conn_set_timeout)(RavenConn *conn, guint seconds);
	/* A short id for log lines, e.g. "c12". */
	const char *(*conn_id)(RavenConn *conn);

	/* Users. */
	/* Check a password: the answer comes to `done` on the main loop,
	 * after the per-address failure delay.  `done` is never called from
	 * inside this function. */
	void (*auth_verify)(const char *user,
	                    const char *password,
	                    const char *client_address,
	                    GCancellable *cancellable,
	                    RavenAuthDone done,
	                    gpointer data);
	/* The local user an address delivers to, after aliases (transfer
	 * full), or NULL when it is not a local user. */
	char *(*user_resolve)(const char *address);
	gboolean (*domain_is_local)(const char *domain);

	/* The registered storage and layers, for protocol plugins. */
	const RavenStorage *(*storage)(gpointer *data);

	/* The pipeline. */
	/* Run every filter registered for ctx->phase, in config order,
	 * stopping at the first verdict other than PROCEED; `done` gets the
	 * verdict with the summed score (called later, on the main loop). */
	void (*filter_run)(const RavenFilterContext *ctx,
	                   RavenFilterChainDone done,
	                   gpointer data);
	/* Check the message (header syntax, MIME limits), add the Received
	 * header, write it and its envelope to the spool and fsync both,
	 * then call `done`; delivery follows on its own.  Say 250 only
	 * after `done` said ok.  `message` as received, dot-unstuffed, CRLF
	 * line ends. */
	void (*spool_submit)(const RavenEnvelope *envelope,
	                     GBytes *message,
	                     RavenSpoolDone done,
	                     gpointer data);
	/* Quota of a local user: TRUE when `user` (canonical) is already at
	 * or over the limit. */
	gboolean (*user_over_quota)(const char *user);
	/* The user's own quota in bytes from `ravenctl user quota`, 0 when
	 * the storage's default applies. */
	guint64 (*user_quota)(const char *user);

	/* ABI 1.1 */
	/* The outbound queue's transport; one per daemon. */
	gboolean (*register_transport)(RavenPlugin *plugin,
	                               const RavenTransport *transport,
	                               gpointer data,
	                               GError **error);
	/* Now as an RFC 5322 date-time, in English whatever the locale, for
	 * Date: fields (transfer full).  Any thread. */
	char *(*message_date)(void);
};

/* ------------------------------------------------------------------------
 * The descriptor a plugin returns.
 */
typedef struct {
	gsize size;
	guint abi_major;
	guint abi_minor;
	const char *name; /* matches its section under plugins: */
	const char *version;
	const char *license;
	const char *description;
	/* Register what the plugin provides.  `config` is the plugin's
	 * section, validated against `config_keys`. */
	gboolean (*init)(RavenPlugin *plugin,
	                 const RavenCore *core,
	                 const RavenConfigNode *config,
	                 GError **error);
	/* Nullable: release what init made.  Sessions are gone by then. */
	void (*shutdown)(RavenPlugin *plugin);
	/* Nullable: the keys of the plugin's section. */
	const RavenConfigKey *config_keys;
} RavenPluginInfo;

/* Declare the plugin; put it once in <name>-plugin.c:
 *   RAVEN_PLUGIN_DEFINE("hello", "1.0", "MIT", "Says hello",
 *                       hello_init, hello_shutdown, hello_keys)
 */
#define RAVEN_PLUGIN_DEFINE(name_, version_, license_, description_, init_,    \
                            shutdown_, keys_)                                  \
	G_MODULE_EXPORT const RavenPluginInfo *raven_plugin_info(void);        \
	G_MODULE_EXPORT const RavenPluginInfo *raven_plugin_info(void)         \
	{                                                                      \
		static const RavenPluginInfo info = {                          \
			sizeof(RavenPluginInfo),                               \
			RAVEN_ABI_MAJOR,                                       \
			RAVEN_ABI_MINOR,                                       \
			name_,                                                 \
			version_,                                              \
			license_,                                              \
			description_,                                          \
			init_,                                                 \
			shutdown_,                                             \
			keys_,                                                 \
		};                                                             \
		return &info;                                                  \
	}

G_END_DECLS

#endif /* RAVEN_PLUGIN_H */
