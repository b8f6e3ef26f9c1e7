/* raven-auth.c: password checks with per-address failure delays and a cache.
 * SPDX-License-Identifier: MIT
 *
 * An attempt is a GTask on the caller's main context: it waits for its
 * throttle slot (a timer, cut short by cancellation), looks in the cache,
 * and otherwise runs Argon2id on a worker thread with copies of the data.
 * Everything but that thread runs on the caller's thread.
 */
#include "raven-auth.h"

#include "raven-io.h"

#include <sodium.h>
#include <string.h>

#define BASE_DELAY_MS G_GUINT64_CONSTANT(2000)
#define LONGEST_DELAY_MS (G_GUINT64_CONSTANT(24) * 3600 * 1000)
#define PRUNE_IDLE_US (G_GINT64_CONSTANT(15) * 60 * G_USEC_PER_SEC)
#define PRUNE_EVERY_US (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)
#define CACHE_MAX_ENTRIES 10000
#define FAILED_MESSAGE "authentication failed"

/* Checked when the user does not exist, at the same cost as a real hash, so
 * that the answer takes as long either way. */
static const char dummy_hash[]
	= "$argon2id$v=19$m=65536,t=2,p=1$mPT4B8rOOnZfUB967NZKyg$"
	  "p7pPpvWGiqBJ/0lI7aBcYvd/9YzRG0xNBCSzlht+WGQ";

/* ---- the throttle */

typedef struct {
	guint failures;   /* consecutive */
	gint64 next_slot; /* the earliest time the next attempt is checked */
	gint64 last_seen;
} ThrottleEntry;

struct RavenAuthThrottle {
	guint64 max_delay_ms;
	GHashTable *entries; /* client address → ThrottleEntry */
};

RavenAuthThrottle *
raven_auth_throttle_new(guint64 max_delay_ms)
{
	RavenAuthThrottle *throttle = g_new0(RavenAuthThrottle, 1);

	/* A day is delay enough, and keeps the sums below far from overflow. */
	throttle->max_delay_ms = MIN(max_delay_ms, LONGEST_DELAY_MS);
	throttle->entries = g_hash_table_new_full(g_str_hash, g_str_equal,
	                                          g_free, g_free);
	return throttle;
}

void
raven_auth_throttle_free(RavenAuthThrottle *throttle)
{
	if (throttle == NULL)
		return;
	g_hash_table_unref(throttle->entries);
	g_free(throttle);
}

guint64
raven_auth_throttle_delay_ms(RavenAuthThrottle *throttle, guint failures)
{
	g_return_val_if_fail(throttle != NULL, 0);
	if (failures == 0)
		return 0;
	if (failures > 32) /* 2 s << 31 is past any cap already */
		return throttle->max_delay_ms;
	return MIN(BASE_DELAY_MS << (failures - 1), throttle->max_delay_ms);
}

static gint64
delay_us(RavenAuthThrottle *throttle, guint failures)
{
	return (gint64)raven_auth_throttle_delay_ms(throttle, failures) * 1000;
}

gint64
raven_auth_throttle_begin(RavenAuthThrottle *throttle,
                          const char *address,
                          gint64 now)
{
	ThrottleEntry *entry;
	gint64 start;

	g_return_val_if_fail(throttle != NULL && address != NULL, 0);
	entry = g_hash_table_lookup(throttle->entries, address);
	if (entry == NULL || entry->failures == 0)
		return 0;
	/* Book the next free slot; the one after it is a delay later. */
	start = MAX(now, entry->next_slot);
	entry->next_slot = start + delay_us(throttle, entry->failures);
	entry->last_seen = now;
	return start - now;
}

void
raven_auth_throttle_end(RavenAuthThrottle *throttle,
                        const char *address,
                        gboolean ok,
                        gint64 now)
{
	ThrottleEntry *entry;

	g_return_if_fail(throttle != NULL && address != NULL);
	if (ok) {
		g_hash_table_remove(throttle->entries, address);
		return;
	}
	entry = g_hash_table_lookup(throttle->entries, address);
	if (entry == NULL) {
		entry = g_new0(ThrottleEntry, 1);
		g_hash_table_insert(throttle->entries, g_strdup(address),
		                    entry);
	}
	if (entry->failures < G_MAXUINT)
		entry->failures++;
	entry->next_slot = MAX(entry->next_slot,
	                       now + delay_us(throttle, entry->failures));
	entry->last_seen = now;
}

typedef struct {
	gint64 now;
	gint64 idle;
} PruneLimit;

static gboolean
entry_is_idle(gpointer key, gpointer value, gpointer data)
{
	const ThrottleEntry *entry = value;
	const PruneLimit *limit = data;

	return limit->now - MAX(entry->last_seen, entry->next_slot)
	       > limit->idle;
}

void
raven_auth_throttle_prune(RavenAuthThrottle *throttle, gint64 now)
{
	PruneLimit limit;

	g_return_if_fail(throttle != NULL);
	limit.now = now;
	limit.idle = (gint64)throttle->max_delay_ms * 1000 + PRUNE_IDLE_US;
	g_hash_table_foreach_remove(throttle->entries, entry_is_idle, &limit);
}

/* ---- the service */

typedef struct {
	char *user; /* canonical */
	char *hash; /* the stored hash the password matched */
	gint64 expires;
} CacheEntry;

struct RavenAuth {
	RavenUserDb *db; /* NULL once raven_auth_free() ran */
	gint64 cache_ttl_us;
	RavenAuthThrottle *throttle;
	GHashTable *cache; /* keyed BLAKE2b of user and password → CacheEntry */
	guint8 cache_key[crypto_generichash_KEYBYTES];
	guint hash_checks;
	gint64 last_prune;
};

/* One verification, the task data of its GTask. */
typedef struct {
	RavenAuth *auth; /* a reference */
	char *user;      /* lower-cased, as given */
	char *password;  /* wiped when freed */
	char *client;
	GBytes *key;     /* in the cache */
	char *canonical; /* nullable: the user it resolves to */
	char *hash;      /* nullable: the canonical user's stored hash */
	GSource *wait;   /* the throttle's timer */
	GSource *cancel_wait;
	RavenAuthDone done;
	gpointer data;
} Attempt;

/* What the worker thread needs: copies, so it shares nothing. */
typedef struct {
	char *hash;
	char *password;
} HashCheck;

static void
wipe_string(char *text)
{
	if (text != NULL)
		sodium_memzero(text, strlen(text));
	g_free(text);
}

static void
cache_entry_free(gpointer p)
{
	CacheEntry *entry = p;

	g_free(entry->user);
	g_free(entry->hash);
	g_free(entry);
}

static GBytes *
cache_key(RavenAuth *auth, const char *user, const char *password)
{
	crypto_generichash_state state;
	guint8 out[crypto_generichash_BYTES];
	guint32 len = GUINT32_TO_LE((guint32)strlen(user));

	crypto_generichash_init(&state, auth->cache_key, sizeof auth->cache_key,
	                        sizeof out);
	crypto_generichash_update(&state, (const guint8 *)&len, sizeof len);
	crypto_generichash_update(&state, (const guint8 *)user, strlen(user));
	crypto_generichash_update(&state, (const guint8 *)password,
	                          strlen(password));
	crypto_generichash_final(&state, out, sizeof out);
	sodium_memzero(&state, sizeof state);
	return g_bytes_new(out, sizeof out);
}

/* A cached success for this attempt, still fresh and still matching the
 * stored hash (a password change makes it stale even before a reread). */
static gboolean
cache_lookup(RavenAuth *auth, const Attempt *attempt)
{
	const CacheEntry *entry
		= g_hash_table_lookup(auth->cache, attempt->key);

	if (entry == NULL)
		return FALSE;
	if (entry->expires > g_get_monotonic_time()
	    && g_strcmp0(entry->user, attempt->canonical) == 0
	    && g_strcmp0(entry->hash, attempt->hash) == 0)
		return TRUE;
	g_hash_table_remove(auth->cache, attempt->key);
	return FALSE;
}

static gboolean
cache_entry_expired(gpointer key, gpointer value, gpointer now)
{
	const CacheEntry *entry = value;

	return entry->expires <= *(const gint64 *)now;
}

static void
cache_insert(RavenAuth *auth, const Attempt *attempt)
{
	CacheEntry *entry;
	gint64 now = g_get_monotonic_time();

	if (auth->cache_ttl_us <= 0)
		return;
	if (g_hash_table_size(auth->cache) >= CACHE_MAX_ENTRIES)
		g_hash_table_foreach_remove(auth->cache, cache_entry_expired,
		                            &now);
	if (g_hash_table_size(auth->cache) >= CACHE_MAX_ENTRIES)
		g_hash_table_remove_all(auth->cache);
	entry = g_new0(CacheEntry, 1);
	entry->user = g_strdup(attempt->canonical);
	entry->hash = g_strdup(attempt->hash);
	entry->expires = now + auth->cache_ttl_us;
	g_hash_table_replace(auth->cache, g_bytes_ref(attempt->key), entry);
}

RavenAuth *
raven_auth_new(RavenUserDb *db, guint64 cache_ttl_ms, guint64 max_delay_ms)
{
	RavenAuth *auth;

	g_return_val_if_fail(db != NULL, NULL);
	raven_sodium_init();
	auth = g_atomic_rc_box_new0(RavenAuth);
	auth->db = db;
	auth->cache_ttl_us = (gint64)MIN(cache_ttl_ms, LONGEST_DELAY_MS) * 1000;
	auth->throttle = raven_auth_throttle_new(max_delay_ms);
	auth->cache = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
	                                    (GDestroyNotify)g_bytes_unref,
	                                    cache_entry_free);
	randombytes_buf(auth->cache_key, sizeof auth->cache_key);
	auth->last_prune = g_get_monotonic_time();
	return auth;
}

static void
auth_clear(gpointer p)
{
	RavenAuth *auth = p;

	sodium_memzero(auth->cache_key, sizeof auth->cache_key);
	g_hash_table_unref(auth->cache);
	raven_auth_throttle_free(auth->throttle);
}

/* Attempts still under way hold references; they answer with an error
 * once they find the service stopped. */
void
raven_auth_free(RavenAuth *auth)
{
	if (auth == NULL)
		return;
	auth->db = NULL;
	g_hash_table_remove_all(auth->cache);
	g_atomic_rc_box_release_full(auth, auth_clear);
}

guint
raven_auth_hash_checks(RavenAuth *auth)
{
	g_return_val_if_fail(auth != NULL, 0);
	return auth->hash_checks;
}

void
raven_auth_forget_cache(RavenAuth *auth)
{
	g_return_if_fail(auth != NULL);
	g_hash_table_remove_all(auth->cache);
}

/* ---- one attempt */

static void
attempt_free(gpointer p)
{
	Attempt *attempt = p;

	g_clear_pointer(&attempt->wait, g_source_unref);
	g_clear_pointer(&attempt->cancel_wait, g_source_unref);
	g_atomic_rc_box_release_full(attempt->auth, auth_clear);
	g_free(attempt->user);
	wipe_string(attempt->password);
	g_free(attempt->client);
	g_bytes_unref(attempt->key);
	g_free(attempt->canonical);
	g_free(attempt->hash);
	g_free(attempt);
}

static void
hash_check_free(gpointer p)
{
	HashCheck *check = p;

	g_free(check->hash);
	wipe_string(check->password);
	g_free(check);
}

/* The outcome: counted by the throttle, then returned to the task. */
static void
attempt_finish(GTask *task, gboolean ok)
{
	Attempt *attempt = g_task_get_task_data(task);

	raven_auth_throttle_end(attempt->auth->throttle, attempt->client, ok,
	                        g_get_monotonic_time());
	if (ok)
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_new_error(task, RAVEN_AUTH_ERROR,
		                        RAVEN_AUTH_ERROR_FAILED,
		                        FAILED_MESSAGE);
}

/* Worker thread. */
static void
hash_check_run(GTask *check_task,
               gpointer source,
               gpointer data,
               GCancellable *cancellable)
{
	const HashCheck *check = data;

	g_task_return_boolean(
		check_task,
		raven_password_verify(check->hash, check->password));
}

/* Back on the caller's thread with the worker's answer.  The outcome counts
 * even when the attempt was cancelled meanwhile: the hash was paid for. */
static void
hash_check_done(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GTask) task = data;
	Attempt *attempt = g_task_get_task_data(task);
	gboolean ok = g_task_propagate_boolean(G_TASK(result), NULL)
	              && attempt->hash != NULL;

	if (ok)
		cache_insert(attempt->auth, attempt);
	attempt_finish(task, ok);
}

static void
attempt_hash_check(GTask *task)
{
	Attempt *attempt = g_task_get_task_data(task);
	GMainContext *context = g_task_get_context(task);
	HashCheck *check = g_new0(HashCheck, 1);
	g_autoptr(GTask) check_task = NULL;

	check->hash
		= g_strdup(attempt->hash != NULL ? attempt->hash : dummy_hash);
	check->password = g_strdup(attempt->password);
	/* The answer must come back to the attempt's context, whichever
	 * context is the thread default now. */
	g_main_context_push_thread_default(context);
	check_task
		= g_task_new(NULL, NULL, hash_check_done, g_object_ref(task));
	g_main_context_pop_thread_default(context);
	g_task_set_task_data(check_task, check, hash_check_free);
	attempt->auth->hash_checks++;
	g_task_run_in_thread(check_task, hash_check_run);
}

static void
auth_refresh(RavenAuth *auth)
{
	g_autoptr(GError) error = NULL;

	if (raven_user_db_refresh(auth->db, &error))
		raven_auth_forget_cache(auth);
	else if (error != NULL)
		g_warning("keeping the users read before: %s", error->message);
}

static void
attempt_check(GTask *task)
{
	Attempt *attempt = g_task_get_task_data(task);
	RavenAuth *auth = attempt->auth;

	if (g_task_return_error_if_cancelled(task))
		return;
	if (auth->db == NULL) {
		g_task_return_new_error(task, RAVEN_AUTH_ERROR,
		                        RAVEN_AUTH_ERROR_INTERNAL,
		                        "the authentication service stopped");
		return;
	}
	auth_refresh(auth);
	attempt->canonical = raven_user_db_resolve(auth->db, attempt->user);
	if (attempt->canonical != NULL)
		attempt->hash
			= raven_user_db_get_hash(auth->db, attempt->canonical);
	if (attempt->hash != NULL && cache_lookup(auth, attempt))
		attempt_finish(task, TRUE);
	else
		attempt_hash_check(task);
}

static void
attempt_stop_wait(Attempt *attempt)
{
	if (attempt->wait != NULL)
		g_source_destroy(attempt->wait);
	if (attempt->cancel_wait != NULL)
		g_source_destroy(attempt->cancel_wait);
	g_clear_pointer(&attempt->wait, g_source_unref);
	g_clear_pointer(&attempt->cancel_wait, g_source_unref);
}

static gboolean
wait_over(gpointer data)
{
	g_autoptr(GTask) task = g_object_ref(data);

	attempt_stop_wait(g_task_get_task_data(task));
	attempt_check(task);
	return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled(GCancellable *cancellable, gpointer data)
{
	g_autoptr(GTask) task = g_object_ref(data);

	attempt_stop_wait(g_task_get_task_data(task));
	g_task_return_error_if_cancelled(task);
	return G_SOURCE_REMOVE;
}

static GSource *
attach_source(GSource *source, GSourceFunc func, GTask *task)
{
	g_source_set_callback(source, func, g_object_ref(task), g_object_unref);
	g_source_attach(source, g_task_get_context(task));
	return source;
}

static void
attempt_wait(GTask *task, gint64 wait_us)
{
	Attempt *attempt = g_task_get_task_data(task);
	GCancellable *cancellable = g_task_get_cancellable(task);
	guint wait_ms = (guint)MIN((wait_us + 999) / 1000, G_MAXUINT);

	attempt->wait
		= attach_source(g_timeout_source_new(wait_ms), wait_over, task);
	if (cancellable != NULL)
		attempt->cancel_wait
			= attach_source(g_cancellable_source_new(cancellable),
		                        G_SOURCE_FUNC(wait_cancelled), task);
}

/* The caller's answer, on its context. */
static void
attempt_answer(GObject *source, GAsyncResult *result, gpointer unused)
{
	Attempt *attempt = g_task_get_task_data(G_TASK(result));
	g_autoptr(GError) error = NULL;
	gboolean ok = g_task_propagate_boolean(G_TASK(result), &error);

	attempt->done(ok, ok ? attempt->canonical : NULL, error, attempt->data);
}

static Attempt *
attempt_new(RavenAuth *auth,
            const char *user,
            const char *password,
            const char *client_address)
{
	Attempt *attempt = g_new0(Attempt, 1);

	attempt->auth = g_atomic_rc_box_acquire(auth);
	attempt->user = g_ascii_strdown(user, -1);
	attempt->password = g_strdup(password);
	/* Clients without an address share one record. */
	attempt->client
		= g_strdup(client_address != NULL ? client_address : "");
	attempt->key = cache_key(auth, attempt->user, password);
	return attempt;
}

void
raven_auth_verify(RavenAuth *auth,
                  const char *user,
                  const char *password,
                  const char *client_address,
                  GCancellable *cancellable,
                  RavenAuthDone done,
                  gpointer data)
{
	g_autoptr(GTask) task = NULL;
	Attempt *attempt;
	gint64 now = g_get_monotonic_time();
	gint64 wait;

	g_return_if_fail(auth != NULL && auth->db != NULL);
	g_return_if_fail(user != NULL && password != NULL && done != NULL);
	attempt = attempt_new(auth, user, password, client_address);
	attempt->done = done;
	attempt->data = data;
	/* GTask delivers even an immediate answer from a later iteration of
	 * the caller's context, never from inside this function. */
	task = g_task_new(NULL, cancellable, attempt_answer, NULL);
	g_task_set_source_tag(task, raven_auth_verify);
	g_task_set_task_data(task, attempt, attempt_free);
	if (now - auth->last_prune >= PRUNE_EVERY_US) {
		auth->last_prune = now;
		raven_auth_throttle_prune(auth->throttle, now);
	}
	wait = raven_auth_throttle_begin(auth->throttle, attempt->client, now);
	if (wait > 0)
		attempt_wait(task, wait);
	else
		attempt_check(task);
}
