/* imap.h: what the imap plugin's files share: config, session, helpers.
 * SPDX-License-Identifier: MIT
 *
 * Not installed.  Hidden from other plugins by -fvisibility=hidden; only
 * raven_plugin_info is exported.
 */
#ifndef IMAP_H
#define IMAP_H

#include <raven/raven-plugin.h>

#include "imap-parser.h"

/* The plugin's settings, read once in init. */
typedef struct {
	const RavenCore *core;
	gboolean allow_plaintext_auth;
	guint64 appendlimit;
	guint idle_timeout;  /* seconds after login */
	guint login_timeout; /* seconds before login */
} ImapServer;

typedef enum {
	IMAP_STATE_NOT_AUTH = 1 << 0,
	IMAP_STATE_AUTH = 1 << 1,
	IMAP_STATE_SELECTED = 1 << 2,
	IMAP_STATE_LOGOUT = 1 << 3,
} ImapState;

/* The selected mailbox as this session sees it: sequence number i + 1 is
 * msgs[i].  Changes by others show only when the view is synced. */
typedef struct {
	RavenMailbox *mailbox;
	char *name; /* UTF-8, as the storage names it */
	gboolean readonly;
	GPtrArray *msgs; /* RavenMessageInfo *; shared: see imap-listing.c */
	gboolean shared; /* msgs may be another view's too: change a copy */
	guint32 uidvalidity;
	guint32 uidnext;
	guint64 highest_modseq; /* the storage's at the last sync */
	GArray *recent; /* guint32 UIDs \Recent here, ascending; nullable */
	guint32 recent_seen; /* the highest UID looked at for \Recent */
	guint watch;
	gboolean dirty;    /* the storage said it changed */
	gboolean nomodseq; /* the storage keeps no modseqs for it */
	GArray *saved;     /* UIDs of SEARCH RETURN (SAVE), for "$"; nullable */
	GPtrArray *keywords; /* char *: those the client was told of */
} ImapView;

/* What ENABLE can switch on (RFC 5161); `announced` in the session. */
typedef enum {
	IMAP_EXT_REV2 = 1 << 0,
	IMAP_EXT_CONDSTORE = 1 << 1,
	IMAP_EXT_QRESYNC = 1 << 2,
	IMAP_EXT_UTF8 = 1 << 3,
} ImapExtension;

typedef struct ImapSession ImapSession;

struct ImapSession {
	gint ref;
	ImapServer *server;
	const RavenCore *core;
	const RavenStorage *storage;
	gpointer storage_data;
	RavenConn *conn; /* NULL once the core closed it */
	ImapState state;
	char *user; /* canonical, once logged in */
	char *client_address;
	gboolean tls;
	gboolean rev2;      /* ENABLE IMAP4rev2 */
	gboolean condstore; /* RFC 7162 3.1: FETCH responses carry MODSEQ */
	gboolean qresync;   /* ENABLE QRESYNC: VANISHED instead of EXPUNGE */
	gboolean utf8;      /* ENABLE UTF8=ACCEPT: names in UTF-8 */
	guint announced;    /* ImapExtension in ENABLED responses so far */
	gboolean closing;   /* BYE sent; ignore input */
	gboolean waiting;   /* an async step runs; input paused */
	gboolean draining;

	GByteArray *cmd;      /* the command being assembled */
	guint64 literal_left; /* raw bytes still to come */
	char *tag;            /* the running command's tag */
	gboolean uid;         /* the running command came with UID */

	gboolean idling;
	gboolean sasl_wait; /* AUTHENTICATE waits for its response line */
	GCancellable *cancel;

	ImapView view;
	GHashTable *mime_cache; /* uid -> ImapMime * of the view's mailbox */
	gsize mime_cache_bytes; /* about: expunges do not subtract */
};

/* A parsed command as the table's functions see it. */
typedef struct {
	const char *name;
	GPtrArray *args; /* ImapArg * */
} ImapCmd;

/* Argument `i`, or NULL past the last (a function: `i` is read once). */
static inline const ImapArg *
imap_cmd_arg(const ImapCmd *c, guint i)
{
	return i < c->args->len ? (const ImapArg *)c->args->pdata[i] : NULL;
}

/* imap-session.c */
gpointer imap_session_accept(RavenConn *conn, const char *role, gpointer data);
void imap_session_drain(RavenConn *conn, gpointer session);
void imap_session_wait(ImapSession *s);
void imap_session_unwait(ImapSession *s);
void imap_session_set_timeout(ImapSession *s);

/* imap-reply.c */
void imap_untagged(ImapSession *s, const char *format, ...) G_GNUC_PRINTF(2, 3);
void imap_write(ImapSession *s, const void *data, gsize len);
/* The tagged reply of the running command.  (Changes by others are
 * reported by imap_dispatch before a command runs, not here.) */
void imap_tagged(ImapSession *s, const char *format, ...) G_GNUC_PRINTF(2, 3);
void imap_bye(ImapSession *s, const char *text);
/* A string as quoted or literal, or NIL for NULL. */
void imap_append_string(GString *out, const char *str, gsize len);
void imap_append_nstring(GString *out, const char *str);
/* A mailbox name from imap_mailbox_wire, quoted in UTF-8 after ENABLE
 * UTF8=ACCEPT. */
void imap_append_name(ImapSession *s, GString *out, const char *name);
void imap_capabilities(ImapSession *s, GString *out);
/* A storage error as "NO [..] text". */
void imap_tagged_error(ImapSession *s, const GError *error);

/* imap-cmd.c */
typedef struct {
	const char *name;
	guint states; /* ImapState bits where it is allowed */
	gboolean (*check)(ImapSession *s, ImapCmd *c);
	void (*proceed)(ImapSession *s, ImapCmd *c);
} ImapCommand_;
void imap_dispatch(ImapSession *s, ImapCmd *c);
void imap_sasl_line(ImapSession *s, const char *line);

/* imap-folder.c: LIST, CREATE ... STATUS, APPEND */
void imap_proceed_create(ImapSession *s, ImapCmd *c);
void imap_proceed_delete(ImapSession *s, ImapCmd *c);
void imap_proceed_rename(ImapSession *s, ImapCmd *c);
void imap_proceed_subscribe(ImapSession *s, ImapCmd *c);
void imap_proceed_unsubscribe(ImapSession *s, ImapCmd *c);
void imap_proceed_list(ImapSession *s, ImapCmd *c);
void imap_proceed_lsub(ImapSession *s, ImapCmd *c);
void imap_proceed_status(ImapSession *s, ImapCmd *c);
/* imap-quota.c */
void imap_proceed_getquotaroot(ImapSession *s, ImapCmd *c);
void imap_proceed_getquota(ImapSession *s, ImapCmd *c);
void imap_proceed_setquota(ImapSession *s, ImapCmd *c);
void imap_proceed_append(ImapSession *s, ImapCmd *c);
/* A mailbox argument in modified UTF-7 (UTF-8 after ENABLE UTF8=ACCEPT)
 * to the storage's UTF-8 name (transfer full); NULL after answering BAD. */
char *imap_mailbox_arg(ImapSession *s, const ImapArg *arg);
/* A storage name as the client reads it (transfer full). */
char *imap_mailbox_wire(ImapSession *s, const char *name);

/* imap-view.c: SELECT, sync, EXPUNGE, CLOSE, IDLE */
void imap_proceed_select(ImapSession *s, ImapCmd *c);
void imap_proceed_close(ImapSession *s, ImapCmd *c);
void imap_proceed_unselect(ImapSession *s, ImapCmd *c);
void imap_proceed_expunge(ImapSession *s, ImapCmd *c);
void imap_proceed_idle(ImapSession *s, ImapCmd *c);
void imap_idle_line(ImapSession *s, const char *line);
void imap_view_close(ImapSession *s);
/* Report changes by others; `expunges`: EXPUNGE may be sent now. */
void imap_view_sync(ImapSession *s, gboolean expunges);
/* Ask the storage now, not waiting for its watch, whether the mailbox
 * changed since the last sync (for NOOP, CHECK and IDLE). */
void imap_view_poll(ImapSession *s);
/* Remove the messages with these UIDs (guint32) from the view and say
 * so: VANISHED once QRESYNC is on, else EXPUNGE for each. */
void imap_view_expunged(ImapSession *s, GArray *uids);
/* The tagged OK of a command that expunged `n` messages (with
 * HIGHESTMODSEQ under QRESYNC). */
void imap_tagged_expunged(ImapSession *s, guint n, const char *command);
/* A set argument ("$" too) as the messages' indexes into view.msgs
 * (guint, ascending); NULL when malformed. */
GArray *imap_view_set(ImapSession *s, const char *set, gboolean uid);
/* The index of `uid` in a UID-ordered list of RavenMessageInfo, or -1. */
gint imap_view_find(GPtrArray *msgs, guint32 uid);
/* `info`'s flags as "(..)", with \Recent when it is recent here. */
void
imap_flags_string(ImapSession *s, GString *out, const RavenMessageInfo *info);
/* Before a response shows `info`'s flags: "* FLAGS" and PERMANENTFLAGS
 * again if it has keywords the client was not told of. */
void imap_view_keywords(ImapSession *s, const RavenMessageInfo *info);

/* imap-modseq.c: CONDSTORE and QRESYNC across commands */
/* A CONDSTORE enabling command: FALSE after answering BAD when the
 * selected mailbox has no modseqs. */
gboolean imap_condstore_on(ImapSession *s);
/* Any CONDSTORE enabling command: "* OK [HIGHESTMODSEQ n]" when it comes
 * with a mailbox selected. */
void imap_condstore_enable(ImapSession *s);
/* Put the storage's current modseqs into the view's entries at `idx`
 * (guint, ascending); the indexes of those no longer there go to `gone`
 * (nullable).  FALSE when the storage failed. */
gboolean imap_view_modseqs(ImapSession *s, GArray *idx, GArray *gone);
/* "* seq FETCH (UID u [FLAGS (..)] [MODSEQ (m)])", MODSEQ under
 * CONDSTORE. */
void imap_tell_flags(ImapSession *s,
                     guint seq,
                     const RavenMessageInfo *info,
                     gboolean flags);
/* "* VANISHED (EARLIER) ..." for the UIDs of normalised `known` above
 * `above` expunged after `modseq`, if any. */
void imap_vanished_earlier(ImapSession *s,
                           const GArray *known,
                           guint64 modseq,
                           guint32 above);
/* SELECT (QRESYNC ...): VANISHED (EARLIER), then FETCH for the messages
 * changed since the client's modseq. */
void imap_qresync_select(ImapSession *s, const ImapSelectParams *p);

/* imap-fetch.c */
void imap_proceed_fetch(ImapSession *s, ImapCmd *c);
/* The parsed message `uid` of the selected mailbox, from the session's
 * bounded cache (owned by the cache: valid until the next call). */
typedef struct ImapMime ImapMime;
ImapMime *imap_session_mime(ImapSession *s, guint32 uid, GError **error);
/* imap-store.c: STORE, COPY, MOVE */
void imap_proceed_store(ImapSession *s, ImapCmd *c);
void imap_proceed_copy(ImapSession *s, ImapCmd *c);
void imap_proceed_move(ImapSession *s, ImapCmd *c);
gboolean
imap_parse_flags(const ImapArg *arg, guint *flags, GPtrArray *keywords);
/* imap-search.c */
void imap_proceed_search(ImapSession *s, ImapCmd *c);

/* imap-listing.c: a view's list of messages, shared between sessions
 * while equal.  Take the list for s->view (its name and UIDVALIDITY set)
 * (transfer full both ways); and make s->view.msgs the session's own
 * before changing an entry or the list (INFO pointers taken before are
 * stale after). */
GPtrArray *imap_listing_share(ImapSession *s, GPtrArray *list);
void imap_listing_own(ImapSession *s);
void imap_listing_clear(void);

/* imap-recent.c: \Recent, claimed by the first session to see a
 * message.  Update s->view.recent for the messages of the view not looked
 * at yet (after SELECT and each sync), claiming them unless read-only. */
void imap_recent_update(ImapSession *s);
gboolean imap_recent_has(ImapSession *s, guint32 uid);
/* The view's \Recent messages (for "* n RECENT"). */
guint imap_recent_count(ImapSession *s);
/* STATUS RECENT of mailbox `mb` named `name`: its messages nobody claimed
 * (every one when no session looked at it since the start). */
guint imap_recent_status(ImapSession *s,
                         const char *name,
                         RavenMailbox *mb,
                         const RavenMailboxStatus *st);
/* At shutdown. */
void imap_recent_clear(void);

/* imap-summary.c: ENVELOPE, BODYSTRUCTURE and BODY of message `uid` of
 * the selected mailbox, from the cache all sessions share (valid until
 * the next call); NULL with `error` when the message is gone. */
typedef enum {
	IMAP_SUMMARY_ENVELOPE,
	IMAP_SUMMARY_BODYSTRUCTURE,
	IMAP_SUMMARY_BODY,
	IMAP_SUMMARY_COUNT
} ImapSummaryKind;
const char *
imap_summary(ImapSession *s, guint32 uid, ImapSummaryKind kind, GError **error);
/* At shutdown. */
void imap_summary_clear(void);

/* imap-mime.c: ENVELOPE, BODYSTRUCTURE and sections */
ImapMime *imap_mime_new(GBytes *message);
void imap_mime_free(gpointer mime);
const char *imap_mime_envelope(ImapMime *m);
const char *imap_mime_bodystructure(ImapMime *m, gboolean extended);
/* The bytes of a section (transfer full); NULL for no such part, which
 * FETCH answers as an empty string. */
GBytes *imap_mime_section(ImapMime *m, const ImapFetchAtt *att);
/* BINARY[section] (RFC 3516): a leaf part's body with its
 * Content-Transfer-Encoding undone, the whole message with its body's
 * undone, a multipart or message/rfc822 part as it is (transfer full);
 * NULL for no such part.  FALSE for an encoding it cannot undo. */
gboolean imap_mime_binary(ImapMime *m, const ImapFetchAtt *att, GBytes **out);
/* A header value (unfolded) or NULL, for SEARCH (transfer full). */
char *imap_mime_header(ImapMime *m, const char *name);
/* Every field `name` of the header, unfolded, NULL-terminated (transfer
 * full). */
char **imap_mime_headers(ImapMime *m, const char *name);
GBytes *imap_mime_bytes(ImapMime *m);

#endif /* IMAP_H */
