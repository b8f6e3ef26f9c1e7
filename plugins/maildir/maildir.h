/* maildir.h: the maildir storage's internal types, shared by its files.
 * SPDX-License-Identifier: MIT
 *
 * Locks, always taken in this order: MaildirUser.lock (folder list,
 * subscriptions, maildirsize), then MaildirFolder.lock with the flock on the
 * folder's lock file (its index).  MaildirStore.lock, MaildirFolder.watch_lock
 * and RavenMailbox.lock are leaves, held briefly.
 */
#ifndef MAILDIR_H
#define MAILDIR_H

#ifndef G_LOG_DOMAIN
#	define G_LOG_DOMAIN "maildir"
#endif

#include <raven/raven-plugin.h>

#include <sys/types.h>

G_BEGIN_DECLS

#define MAILDIR_INDEX_FILE "raven-uidlist"
#define MAILDIR_LOCK_FILE "raven-uidlist.lock"
#define MAILDIR_KEYWORDS_FILE "dovecot-keywords"
#define MAILDIR_SUBSCRIPTIONS_FILE "subscriptions"
#define MAILDIR_SIZE_FILE "maildirsize"
#define MAILDIR_WARNED_FILE "raven-quota-warned"
#define MAILDIR_UIDVALIDITY_FILE "raven-uidvalidity"
#define MAILDIR_EXPUNGED_FILE "raven-expunged"
#define MAILDIR_EXPUNGED_MAX (64 * 1024)
#define MAILDIR_MAX_KEYWORDS 26

typedef struct MaildirStore MaildirStore;
typedef struct MaildirUser MaildirUser;
typedef struct MaildirFolder MaildirFolder;
typedef struct MaildirIndex MaildirIndex;
typedef struct MaildirRecord MaildirRecord;

/* What a file looked like when last read or written, to notice changes. */
typedef struct {
	gboolean exists;
	dev_t dev;
	ino_t ino;
	gint64 mtime_ns;
	goffset size;
} MaildirFileId;

/* What the index knows of new/ or cur/ (maildir-sync.c). */
typedef struct {
	gint64 mtime; /* ns, as last scanned or changed by Raven */
	/* Real time (us) since when a change made in the same timestamp
	 * tick as `mtime` may have gone unseen; 0: none, `mtime` was old. */
	gint64 unsure_since;
	/* `mtime` is from Raven's own change (trusted for a while). */
	gboolean own;
} MaildirDirStamp;

/* How much of the disk a sync looks at (maildir-sync.c). */
typedef enum {
	/* The index file only (and a scan when there is none yet): enough
	 * to add messages and to act on a UID, retrying with FORCE when its
	 * file turns out renamed. */
	MAILDIR_SYNC_INDEX,
	/* Also scan new/ and cur/ when they changed: for listing. */
	MAILDIR_SYNC_DIRS,
	/* Scan whatever the directories look like. */
	MAILDIR_SYNC_FORCE,
} MaildirSyncMode;

/* The plugin's state, the `data` of every storage function. */
struct MaildirStore {
	const RavenCore *core;
	guint64 quota;       /* default limit in bytes, 0: none */
	guint warning_pct;   /* 0: no warning */
	GMutex lock;         /* the two tables and reference counts */
	GHashTable *users;   /* name -> MaildirUser, while referenced */
	GHashTable *folders; /* path -> MaildirFolder, while referenced */
	gint dir_fsyncs;     /* shared directory fsyncs made (atomic) */
	gint file_stats;     /* stats of message files (atomic) */
	gint dir_scans;      /* reads of new/ and cur/ (atomic) */
	gint index_reads;    /* index files read and parsed (atomic) */
	/* Indexes of folders nobody holds, kept to spare the next open
	 * reading them again (maildir-cache.c); under lock. */
	GHashTable *cached;  /* path -> MaildirCached */
	GQueue cached_order; /* paths, most recently kept first */
	gsize expunged_max;  /* bytes of a folder's expunge log, about */
	/* For tests: called before each shared directory fsync. */
	void (*before_dir_fsync)(gpointer data);
	gpointer before_dir_fsync_data;
};

/* The sums of maildirsize as last read or appended to (maildir-quota.c). */
typedef struct {
	MaildirFileId id; /* the file they are for; !exists: none */
	guint64 limit;    /* the limit of its header */
	gint64 bytes;
	gint64 count;
} MaildirSizes;

struct MaildirUser {
	MaildirStore *store;
	char *name; /* "alice@example.test" */
	char *root; /* DATA_DIR/mail/example.test/alice */
	GMutex lock;
	gboolean ready;     /* the root exists */
	guint refs;         /* under store->lock */
	MaildirSizes sizes; /* under lock */
};

typedef struct {
	char *names[MAILDIR_MAX_KEYWORDS]; /* letter 'a' + i, nullable */
	MaildirFileId id;
} MaildirKeywords;

/* Group commit of one directory's fsync (maildir-durable.c). */
typedef struct {
	GMutex lock; /* the fields below */
	GCond cond;
	guint64 wanted;   /* tickets handed out */
	guint64 done;     /* tickets covered by a finished fsync */
	gboolean syncing; /* an fsync runs, outside the lock */
	int error;        /* errno of the last fsync, or 0 */
} MaildirDirSync;

struct MaildirFolder {
	MaildirUser *user;
	char *name; /* canonical: "INBOX", "Foo/Bar" */
	char *path; /* the folder's directory */
	int dir_fd; /* of `path` for openat, -1 until opened (under lock) */
	GMutex lock;
	int lock_fd; /* holds the flock while locked, else -1 */
	MaildirIndex *index;
	MaildirKeywords keywords;
	GMutex watch_lock;
	GList *mailboxes; /* open RavenMailbox (weak), under watch_lock */
	guint refs;       /* under store->lock */
	MaildirDirSync dir_sync[2]; /* new/ and cur/ */
};

/* One message of a folder.  Flags are the letters of the file name's info:
 * bit n of `upper` is 'A' + n, bit n of `lower` is keyword letter 'a' + n. */
struct MaildirRecord {
	guint32 uid;
	guint64 modseq;
	char *name;     /* file name in new/ or cur/, with its info */
	gsize base_len; /* the part before ':' */
	gboolean in_new;
	guint32 upper;
	guint32 lower;
	gint64 mtime; /* -1 until known (from the index or the file) */
	guint64 size;
	gboolean gone; /* removed, awaiting maildir_index_compact() */
};

/* An expunge as the folder's expunge log keeps it (maildir-expunged.c). */
typedef struct {
	guint32 uid;
	guint64 modseq; /* the folder's modseq the expunge was given */
} MaildirExpunge;

/* UIDs and modseqs are reserved durably in blocks of this many. */
#define MAILDIR_RESERVE_BLOCK 1000

struct MaildirIndex {
	guint32 uidvalidity;
	guint32 uidnext;
	guint64 highest_modseq;
	/* Reserved in an fsynced index: every UID handed out is below
	 * uid_mark, every modseq at most modseq_mark. */
	guint32 uid_mark;
	guint64 modseq_mark;
	/* Read from a file written before the last boot: later writes may
	 * be lost, so numbering resumed at the marks; scan the folder. */
	gboolean stale;
	GPtrArray *records;      /* MaildirRecord *, UID order */
	GHashTable *by_base;     /* base name -> MaildirRecord * */
	MaildirFileId file;      /* the index file as last read or written */
	MaildirDirStamp dirs[2]; /* new/ and cur/ (maildir-sync.c) */
	gboolean dirty;          /* differs from the file */
	/* Differs other than by records added at the end (else those are
	 * appended to the file); records[0..in_file) are in the file. */
	gboolean rewrite;
	guint in_file;
	/* MaildirExpunge of records removed since the last write, for the
	 * expunge log. */
	GArray *expunged;
};

struct RavenMailbox {
	MaildirStore *store;
	MaildirFolder *folder;
	gatomicrefcount refs;
	GMutex lock; /* the fields below */
	GArray *watchers;
	guint next_watch_id;
	GFileMonitor *monitors[2]; /* new/ and cur/, while watched */
	gboolean pending;          /* a notification is queued */
	gboolean closed;
};

/* ---- maildir-store.c: objects, locks, errors, events */
MaildirStore *
maildir_store_new(const RavenCore *core, guint64 quota, guint warning_pct);
void maildir_store_free(MaildirStore *store);
/* The user's object with its root made (first use creates INBOX and the
 * special-use folders); (transfer full), release with maildir_user_unref. */
MaildirUser *
maildir_user_get(MaildirStore *store, const char *user, GError **error);
void maildir_user_unref(MaildirUser *user);
/* A folder of `user` by name, existing or not; (transfer full). */
MaildirFolder *maildir_folder_get(MaildirStore *store,
                                  const char *user,
                                  const char *folder,
                                  GError **error);
MaildirFolder *
maildir_folder_get_for(MaildirUser *user, const char *folder, GError **error);
void maildir_folder_unref(MaildirFolder *folder);
/* Take the folder's mutex and the flock on its lock file; NOT_FOUND when the
 * folder does not exist. */
gboolean maildir_folder_lock(MaildirFolder *folder, GError **error);
void maildir_folder_unlock(MaildirFolder *folder);
/* Lock and bring the index up to date (maildir_sync). */
gboolean maildir_folder_lock_synced(MaildirFolder *folder,
                                    MaildirSyncMode mode,
                                    GError **error);
gboolean maildir_folder_exists(MaildirFolder *folder);
void maildir_set_error(GError **error, int errsv, const char *format, ...)
	G_GNUC_PRINTF(3, 4);
/* Publish an event on the main loop, from any thread. */
void maildir_publish(MaildirStore *store,
                     RavenEventType type,
                     const char *user,
                     const char *folder,
                     const char *from_folder,
                     guint32 uid);
/* write() all of `buf` (short writes, EINTR); FALSE with errno set. */
gboolean maildir_write_all(int fd, const void *buf, gsize len);
gboolean maildir_fsync_dir(const char *path, GError **error);
/* Replace `path` whole (fsynced, renamed; not the directory). */
gboolean maildir_write_file(const char *path,
                            const char *data,
                            gsize len,
                            GError **error);
/* The identity of `path` now (exists FALSE when it is missing). */
MaildirFileId maildir_file_id(const char *path);
gboolean maildir_file_id_equal(const MaildirFileId *a, const MaildirFileId *b);

/* ---- maildir-durable.c: what is made durable, and when */
void maildir_dir_sync_init(MaildirDirSync *sync);
void maildir_dir_sync_clear(MaildirDirSync *sync);
/* A ticket for every entry linked into the folder's new/ (or cur/) so
 * far: take it right after the link. */
guint64 maildir_folder_ticket(MaildirFolder *folder, gboolean in_new);
/* Make the entries of `ticket` durable: waits for an fsync of the
 * directory that started after the ticket was taken; one fsync serves
 * every ticket taken before it starts (group commit).  Any thread; it
 * takes no other lock, so called after the folder's and the user's locks
 * are released it shares the fsync with other deliveries. */
gboolean maildir_folder_flush(MaildirFolder *folder,
                              gboolean in_new,
                              guint64 ticket,
                              GError **error);
/* Replace `path` whole by a temporary file renamed over it.  Unless
 * `durable`, nothing is fsynced: after a crash the file is the old or the
 * new one.  With `durable`, the file and its directory are fsynced. */
gboolean maildir_replace_file(const char *path,
                              const char *data,
                              gsize len,
                              gboolean durable,
                              GError **error);
/* This boot of the machine (the kernel's boot_id): an index written in
 * another boot may have lost its last writes. */
const char *maildir_boot_id(void);

/* ---- maildir-cache.c: indexes kept while their folders are closed */
/* Keep the index and keywords of `folder`, which nobody holds any more
 * (taking them); drops the least recently kept beyond the limit.  Caller
 * holds store->lock. */
void maildir_cache_keep(MaildirStore *store, MaildirFolder *folder);
/* Give a new `folder` the index and keywords kept for its path, if any;
 * maildir_sync() checks them against the disk as usual.  Caller holds
 * store->lock. */
void maildir_cache_adopt(MaildirStore *store, MaildirFolder *folder);
/* Drop what is kept for the folders under `root` (a user whose folders
 * were deleted or renamed).  Takes store->lock. */
void maildir_cache_forget(MaildirStore *store, const char *root);
void maildir_cache_clear(MaildirStore *store);

/* ---- maildir-path.c: names and layout */
gboolean maildir_user_root(const char *data_dir,
                           const char *user,
                           char **root,
                           GError **error);
/* The folder's directory under the root ("" for INBOX, ".Foo.Bar") and its
 * canonical name ("INBOX" however spelt); INVALID for a bad name. */
gboolean maildir_folder_dirname(const char *folder,
                                char **dirname,
                                char **canonical,
                                GError **error);
/* The folder name of a root entry, or NULL when it is not a folder. */
char *maildir_folder_name_from_dir(const char *dirname);
const char *maildir_special_use(const char *folder);
/* `name` with its leading `from` levels replaced by `to`, or NULL when it
 * is neither `from` nor below it (transfer full). */
char *
maildir_folder_renamed(const char *name, const char *from, const char *to);
extern const char *const maildir_special_folders[];
/* "TIME.UNIQUE.HOST,S=SIZE"; UNIQUE from `key` (exactly once) or new.
 * With a key the name is the same every time: TIME is the key's own (its
 * leading hex digits of microseconds, as in queue ids), else 0. */
char *maildir_name_new(const char *key, gsize size, const char *hostname);
/* The unique part a delivery with `key` gets (transfer full). */
char *maildir_unique_from_key(const char *key);
/* The unique part of a file name: between its first and second dot. */
gboolean maildir_name_has_unique(const char *name, const char *unique);
gsize maildir_name_base_len(const char *name);
void maildir_name_parse_info(const char *name, guint32 *upper, guint32 *lower);
char *maildir_name_with_info(const char *name,
                             gsize base_len,
                             guint32 upper,
                             guint32 lower);
/* The ",S=" size of a file name, or -1. */
gint64 maildir_name_size(const char *name);
guint maildir_flags_from_letters(guint32 upper);
guint32 maildir_letters_from_flags(guint flags);
/* Letters of the RavenFlags; other capitals (P) are kept by store. */
#define MAILDIR_FLAG_LETTERS                                                   \
	((1u << ('S' - 'A')) | (1u << ('R' - 'A')) | (1u << ('F' - 'A'))       \
	 | (1u << ('T' - 'A')) | (1u << ('D' - 'A')))

/* ---- maildir-index.c: the UID index */
MaildirIndex *maildir_index_new(void);
void maildir_index_free(MaildirIndex *index);
/* Reread the index file when it changed; *reread says whether it did. */
gboolean
maildir_index_refresh(MaildirFolder *folder, gboolean *reread, GError **error);
gboolean maildir_index_write(MaildirFolder *folder, GError **error);
MaildirRecord *maildir_index_lookup(MaildirIndex *index, guint32 uid);
MaildirRecord *maildir_index_find_unique(MaildirIndex *index,
                                         const char *unique);
/* A new record with the next UID and modseq (transfer none). */
MaildirRecord *
maildir_index_add(MaildirIndex *index, const char *name, gboolean in_new);
void maildir_index_rename(MaildirIndex *index,
                          MaildirRecord *record,
                          const char *name,
                          gboolean in_new);
/* Give `record` a new modseq. */
void maildir_index_touch(MaildirIndex *index, MaildirRecord *record);
/* Mark `record` removed; maildir_index_compact() drops it. */
void maildir_index_remove(MaildirIndex *index, MaildirRecord *record);
void maildir_index_compact(MaildirIndex *index);
guint32 maildir_uidvalidity_next(const char *root);

/* ---- maildir-expunged.c: the expunge log, for QRESYNC */
/* Append the index's pending expunges to the folder's log (bounded;
 * caller holds the folder lock).  Never fails: a log that cannot be
 * written is removed, which only makes later answers less exact. */
void maildir_expunged_flush(MaildirFolder *folder);
/* RavenStorage.expunged_since. */
gboolean maildir_expunged_since(RavenMailbox *mailbox,
                                guint64 modseq,
                                GArray *uids,
                                GError **error);

/* ---- maildir-sync.c: the index against new/ and cur/ */

/* Caller holds the folder lock. */
gboolean
maildir_sync(MaildirFolder *folder, MaildirSyncMode mode, GError **error);
/* The path of a record's file (transfer full). */
char *maildir_record_path(MaildirFolder *folder, const MaildirRecord *record);
/* Fill in mtime and size; FALSE when the file is gone. */
gboolean maildir_record_stat(MaildirFolder *folder, MaildirRecord *record);
/* Around a change Raven makes itself to new/ and cur/ (`dirs`: 1 new/,
 * 2 cur/), folder locked: begin before it, end after it succeeded, so the
 * next listing need not scan what only Raven changed. */
typedef struct {
	guint dirs;   /* those the index matched before the change */
	gint64 since; /* real time (us) of that check */
} MaildirOwnChange;
#define MAILDIR_DIR_NEW 1u
#define MAILDIR_DIR_CUR 2u
void maildir_own_change_begin(MaildirFolder *folder,
                              guint dirs,
                              MaildirOwnChange *change);
void maildir_own_change_end(MaildirFolder *folder,
                            const MaildirOwnChange *change);

/* ---- maildir-keywords.c: keyword letters */
gboolean maildir_keywords_refresh(MaildirFolder *folder, GError **error);
/* The letters of `names`; new names get letters when `create`, else they
 * are left out.  INVALID for a bad keyword or more than 26. */
gboolean maildir_keywords_mask(MaildirFolder *folder,
                               const char *const *names,
                               gboolean create,
                               guint32 *mask,
                               GError **error);
/* NULL-terminated names of `mask`, or NULL when none (transfer full). */
char **maildir_keywords_names(MaildirFolder *folder, guint32 mask);
void maildir_keywords_clear(MaildirKeywords *keywords);

/* ---- maildir-tree.c: directories on disk */
/* Make the user's root, INBOX and the special-use folders, subscribed, if
 * the root has no cur/ yet.  Caller holds user->lock. */
gboolean maildir_user_make_root(MaildirUser *user, GError **error);
/* Make a new empty folder directory (a subfolder gets the Maildir++
 * maildirfolder file) at `path` atomically, staged under `root`/tmp/;
 * EXISTS when it is there already. */
gboolean maildir_make_folder_dir(const char *root,
                                 const char *path,
                                 gboolean subfolder,
                                 GError **error);
/* Remove a folder tree (renamed away first, so it vanishes at once). */
gboolean
maildir_remove_tree(const char *root, const char *path, GError **error);
/* The folder names under the root, INBOX first (transfer full). */
GPtrArray *maildir_folder_names(MaildirUser *user, GError **error);

/* ---- maildir-folder.c and maildir-rename.c: the folder list */
/* Create `name` and its missing superior levels; caller holds user->lock.
 * With `must_be_new`, EXISTS when it exists. */
gboolean maildir_folder_make(MaildirUser *user,
                             const char *name,
                             gboolean must_be_new,
                             GError **error);
gboolean maildir_folder_make_superiors(MaildirUser *user,
                                       const char *name,
                                       GError **error);
/* Create `folder` when missing (deliver into a new folder). */
gboolean maildir_folder_ensure(MaildirFolder *folder, GError **error);
GPtrArray *
maildir_list_folders(const char *user, gpointer data, GError **error);
gboolean maildir_create_folder(const char *user,
                               const char *folder,
                               gpointer data,
                               GError **error);
gboolean maildir_delete_folder(const char *user,
                               const char *folder,
                               gpointer data,
                               GError **error);
gboolean maildir_rename_folder(const char *user,
                               const char *from,
                               const char *to,
                               gpointer data,
                               GError **error);

/* ---- maildir-subscriptions.c: the subscriptions file (Dovecot's v2) */
/* Canonical names in file order (transfer full); caller holds the user's
 * lock. */
GPtrArray *maildir_subscriptions_read(const char *root, GError **error);
gboolean
maildir_subscriptions_write(const char *root, GPtrArray *names, GError **error);
/* Subscribe or unsubscribe `folder` (IMAP SUBSCRIBE, UNSUBSCRIBE): the
 * shape of the storage function proposed for RavenStorage. */
gboolean maildir_set_subscribed(const char *user,
                                const char *folder,
                                gboolean subscribed,
                                gpointer data,
                                GError **error);
/* Move the subscriptions of `from` and its children to `to`. */
gboolean maildir_subscriptions_rename(const char *root,
                                      const char *from,
                                      const char *to,
                                      GError **error);

/* ---- maildir-mailbox.c: one open folder */
RavenMailbox *maildir_open(const char *user,
                           const char *folder,
                           gpointer data,
                           GError **error);
void maildir_close(RavenMailbox *mailbox);
RavenMailbox *maildir_mailbox_ref(RavenMailbox *mailbox);
void maildir_mailbox_unref(RavenMailbox *mailbox);
gboolean maildir_status(RavenMailbox *mailbox,
                        RavenMailboxStatus *status,
                        GError **error);
GPtrArray *maildir_list_messages(RavenMailbox *mailbox, GError **error);
GBytes *maildir_fetch(RavenMailbox *mailbox, guint32 uid, GError **error);
gboolean maildir_store(RavenMailbox *mailbox,
                       guint32 uid,
                       RavenStoreMode mode,
                       guint flags,
                       const char *const *keywords,
                       GError **error);
gboolean
maildir_expunge(RavenMailbox *mailbox, GArray *expunged, GError **error);
gboolean maildir_expunge_uids(RavenMailbox *mailbox,
                              const guint32 *uids,
                              guint n_uids,
                              GArray *expunged,
                              GError **error);
void maildir_message_info_free(gpointer info);

/* ---- maildir-copy.c: copy and move */
guint32 maildir_copy(RavenMailbox *mailbox,
                     guint32 uid,
                     const char *folder,
                     GError **error);
guint32 maildir_move(RavenMailbox *mailbox,
                     guint32 uid,
                     const char *folder,
                     GError **error);

/* ---- maildir-deliver.c: new messages */
/* Write `message` into `dir`/tmp/`name`, fsynced, with mtime `mtime`
 * (0: now); the path (transfer full) or NULL. */
char *maildir_write_tmp(const char *dir,
                        const char *name,
                        GBytes *message,
                        gint64 mtime,
                        GError **error);
/* Move a written tmp file into new/ or cur/ as `name` (link, unlink);
 * maildir_folder_flush() makes it durable. */
gboolean maildir_commit_file(MaildirFolder *folder,
                             const char *tmp_path,
                             const char *name,
                             gboolean in_new,
                             GError **error);
/* Add a written tmp/ file as `name` in new/ or cur/ to the locked folder:
 * the index is written first, then the file linked, so a crash between
 * them leaves a record without a file (dropped by the next scan), never a
 * file that a retried delivery would not find.  The caller then calls
 * maildir_folder_flush(), unlocked.  (transfer none) */
MaildirRecord *maildir_commit_record(MaildirFolder *folder,
                                     const char *tmp_path,
                                     const char *name,
                                     gboolean in_new,
                                     GError **error);
guint32 maildir_deliver(const char *user,
                        const char *folder,
                        GBytes *message,
                        const char *key,
                        gpointer data,
                        GError **error);
/* Deliver without the quota check (the quota warning itself). */
guint32 maildir_deliver_unchecked(MaildirStore *store,
                                  const char *user,
                                  const char *folder,
                                  GBytes *message,
                                  const char *key,
                                  GError **error);
guint32 maildir_append(RavenMailbox *mailbox,
                       GBytes *message,
                       guint flags,
                       const char *const *keywords,
                       gint64 internal_date,
                       GError **error);

/* ---- maildir-quota.c: usage, limits, the warning */
guint64 maildir_quota_limit(MaildirStore *store, const char *user);
/* QUOTA when `size` more bytes would not fit. */
gboolean maildir_quota_check(MaildirUser *user, guint64 size, GError **error);
/* Account for added (positive) or removed bytes and messages, then send
 * the warning when usage crossed the mark. */
void maildir_quota_add(MaildirUser *user, gint64 bytes, gint64 count);
/* The same, for a caller that holds user->lock (and no folder lock) from
 * before the files changed until after this, so a recount never sees a
 * change that is not yet in maildirsize.  TRUE when the warning is due:
 * then call maildir_quota_warn() once the lock is released. */
gboolean maildir_quota_add_locked(MaildirUser *user,
                                  gint64 bytes,
                                  gint64 count,
                                  guint64 *used);
void maildir_quota_warn(MaildirUser *user, guint64 used);
/* Forget the usage (folders deleted); it is recounted when next needed. */
void maildir_quota_invalidate(MaildirUser *user);
gboolean maildir_quota(const char *user,
                       guint64 *used,
                       guint64 *limit,
                       gpointer data,
                       GError **error);

/* ---- maildir-watch.c: change notifications */
guint maildir_watch(RavenMailbox *mailbox,
                    RavenMailboxChanged changed,
                    gpointer changed_data);
void maildir_unwatch(RavenMailbox *mailbox, guint id);
/* Drop every watcher (on close). */
void maildir_watch_clear(RavenMailbox *mailbox);
/* Tell the watchers of every open mailbox of `folder` (any thread). */
void maildir_folder_notify(MaildirFolder *folder);

G_END_DECLS

#endif /* MAILDIR_H */
