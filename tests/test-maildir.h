/* test-maildir.h: the fake core, fixture and helpers the maildir tests
 * share (test-maildir.c), and each test file's registration.
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_MAILDIR_H
#define TEST_MAILDIR_H

#include "maildir.h"

#define USER "alice@example.test"

typedef struct {
	RavenEventType type;
	char *folder;
	char *from_folder;
	guint32 uid;
	gboolean on_main_thread;
} Recorded;

typedef struct {
	MaildirStore *store;
	char *root;
} Fixture;

extern guint64 fake_quota;
extern GMutex events_lock;
extern GPtrArray *events;
extern const RavenCore fake_core;

void drain(void);
void setup(Fixture *f, gconstpointer data);
void teardown(Fixture *f, gconstpointer data);
void restart(Fixture *f, guint64 quota, guint warning);
GBytes *message(const char *subject, gsize body);
char *path_in(Fixture *f, const char *folder_dir, const char *sub);
GPtrArray *dir_names(const char *path);
guint count_files(Fixture *f, const char *folder_dir, const char *sub);
char *only_file(Fixture *f, const char *folder_dir, const char *sub);
guint32 deliver(Fixture *f, const char *folder, GBytes *msg, const char *key);
guint32
deliver_text(Fixture *f, const char *folder, const char *key, gsize body);
RavenMailbox *open_folder(Fixture *f, const char *folder);
RavenMailboxStatus status_of(RavenMailbox *mailbox);
GPtrArray *messages_of(RavenMailbox *mailbox);
RavenMessageInfo *info_at(GPtrArray *list, guint i);
void store_ok(RavenMailbox *mailbox,
              guint32 uid,
              RavenStoreMode mode,
              guint flags,
              const char *const *keywords);
guint64 used_bytes(Fixture *f, guint64 *limit);
char *read_file(const char *path);
void expect_error(gboolean ok, GError **error, RavenStorageError code);
void write_by_hand(Fixture *f, const char *sub, const char *name);
/* maildir_expunged_since() without error: its UIDs; `known` its result. */
GArray *expunged_since(RavenMailbox *mailbox, guint64 modseq, gboolean *known);
void assert_uids(GArray *uids, const char *expected);
Recorded *event_at(guint i);

#define ADD(path, func) g_test_add(path, Fixture, NULL, setup, func, teardown)

/* Each file's tests. */
void test_maildir_add_messages(void);
void test_maildir_add_folders(void);
void test_maildir_add_durable(void);
void test_maildir_add_sync(void);

#endif /* TEST_MAILDIR_H */
