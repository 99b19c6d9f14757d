/* kc-sync.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sync"

#include "kc-store-context.h"
#include "kc-sync.h"

/* 9999-12-31T23:59:59Z, the last second GDateTime can hold */
#define LAST_SECOND_OF_9999 G_GINT64_CONSTANT (253402300799)

struct _KcSync
{
  GObject        parent_instance;

  KcKerioClient *client;
  KcStore       *store;
  double         interval_minutes;
  char          *extension;
  guint          extension_digits;

  /* The scheduled syncs: set between kc_sync_start() and kc_sync_stop() */
  GCancellable  *cancellable;
  guint          timeout_id;

  guint          n_running;
  /* The last failure already logged, so that a PBX that stays down is
   * reported once rather than every interval */
  char          *last_error;
  char          *last_recordings_error;
  char          *last_directory_error;
  /* When the directory was last read, monotonic µs; 0: not yet */
  gint64         directory_read_at;
};

G_DEFINE_FINAL_TYPE (KcSync, kc_sync, G_TYPE_OBJECT)

enum
{
  SYNCED,
  FAILED,
  DIRECTORY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  KcSync *self;
  gint64  since;
  guint   n_new;
  guint   n_skipped;
  /* The newest CDR start read: how far the history is complete once every
   * page is stored */
  gint64  newest;
  /* NUMBER -> the name the PBX gave it in a CDR, of the page being stored */
  GHashTable *names;
} SyncRun;

static void
sync_run_free (SyncRun *run)
{
  g_clear_pointer (&run->names, g_hash_table_unref);
  g_free (run);
}

static void
log_once (char         **last_message,
          const char    *what,
          const GError  *error)
{
  if (g_strcmp0 (*last_message, error->message) == 0)
    return;
  /* A PBX that is down is part of the job, not a fault of this program:
   * said plainly, like the tracker's failed polls. */
  g_message ("%s: %s", what, error->message);
  g_free (*last_message);
  *last_message = g_strdup (error->message);
}

static void
run_failed (GTask  *task,
            GError *error)
{
  KcSync *self = g_task_get_source_object (task);

  self->n_running--;
  /* Stopping is not a failure anyone needs to hear about. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      log_once (&self->last_error, "Call history sync failed", error);
      g_signal_emit (self, signals[FAILED], 0, error);
    }
  g_task_return_error (task, error);
}

static void
run_succeeded (GTask *task)
{
  KcSync *self = g_task_get_source_object (task);
  SyncRun *run = g_task_get_task_data (task);

  self->n_running--;
  g_clear_pointer (&self->last_error, g_free);
  /* A big first sync filled the page cache; the process lives on in the
   * tray or headless for days and needs little of it */
  kc_store_release_memory (self->store);
  g_signal_emit (self, signals[SYNCED], 0, run->n_new);
  g_task_return_boolean (task, TRUE);
}

static void
on_directory (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcSync *self = g_task_get_source_object (task);
  g_autoptr (GPtrArray) entries = NULL;
  GError *error = NULL;

  entries = kc_kerio_client_get_directory_finish (KC_KERIO_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      run_failed (task, error);
      return;
    }
  /* Names only decorate the calls: a PBX that will not list its numbers
   * (an older firmware, an account without the right) costs them, not the
   * history. The names read before stay. */
  if (entries == NULL || !kc_store_replace_directory (self->store, entries, &error))
    {
      log_once (&self->last_directory_error, "Could not read the PBX's directory of numbers",
                error);
      g_clear_error (&error);
    }
  else
    {
      g_clear_pointer (&self->last_directory_error, g_free);
      g_debug ("Read %u numbers of the PBX's directory", entries->len);
      g_signal_emit (self, signals[DIRECTORY_CHANGED], 0);
    }
  run_succeeded (task);
}

/* The directory changes seldom: read with the first sync, then with a sync
 * at most every KC_SYNC_DIRECTORY_INTERVAL, one request more then. */
static void
read_directory_or_finish (GTask *task_owned)
{
  g_autoptr (GTask) task = task_owned;
  KcSync *self = g_task_get_source_object (task);
  gint64 now = g_get_monotonic_time ();
  GCancellable *cancellable;

  if (self->directory_read_at != 0 &&
      now - self->directory_read_at < (gint64) KC_SYNC_DIRECTORY_INTERVAL * G_USEC_PER_SEC)
    {
      run_succeeded (task);
      return;
    }
  self->directory_read_at = now;
  cancellable = g_task_get_cancellable (task);
  kc_kerio_client_get_directory_async (self->client, cancellable, on_directory,
                                       g_steal_pointer (&task));
}

static void
on_recordings (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcSync *self = g_task_get_source_object (task);
  g_autoptr (GPtrArray) recordings = NULL;
  GError *error = NULL;
  guint n_linked = 0;

  recordings = kc_kerio_client_get_recordings_finish (KC_KERIO_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      run_failed (task, error);
      return;
    }

  /* The history itself is stored by now; recordings only decorate it, and
   * a PBX may refuse them to an account that may read the history. */
  if (recordings == NULL || !kc_store_link_recordings (self->store, recordings, &n_linked, &error))
    {
      log_once (&self->last_recordings_error, "Could not link call recordings", error);
      g_clear_error (&error);
    }
  else
    {
      g_clear_pointer (&self->last_recordings_error, g_free);
      if (n_linked > 0)
        g_debug ("Linked %u recordings to their calls", n_linked);
    }

  read_directory_or_finish (g_steal_pointer (&task));
}

/* One page of CallHistory.get, stored in its own transaction as it
 * arrives: the main loop is never held for more than a page, and a sync of
 * a long history never holds it all in memory. */
static gboolean
on_history_page (GPtrArray  *cdrs,
                 gpointer    user_data,
                 GError    **error)
{
  SyncRun *run = user_data;
  KcSync *self = run->self;
  g_autoptr (GPtrArray) records = g_ptr_array_new_full (cdrs->len, (GDestroyNotify) kc_record_free);
  guint n_new = 0;

  for (guint i = 0; i < cdrs->len; i++)
    {
      KcRecord *record = kc_sync_record_from_cdr (g_ptr_array_index (cdrs, i), self->extension,
                                                  self->extension_digits);

      if (record)
        {
          const KcCdr *cdr = g_ptr_array_index (cdrs, i);

          run->newest = MAX (run->newest, record->start_time);
          g_ptr_array_add (records, record);
          if (cdr->from_name != NULL && *cdr->from_name != '\0')
            g_hash_table_replace (run->names, g_strdup (cdr->from_number),
                                  g_strdup (cdr->from_name));
          if (cdr->to_name != NULL && *cdr->to_name != '\0')
            g_hash_table_replace (run->names, g_strdup (cdr->to_number), g_strdup (cdr->to_name));
        }
      else
        {
          run->n_skipped++;
        }
    }

  if (!kc_store_upsert_records (self->store, records, &n_new, error))
    return FALSE;
  run->n_new += n_new;
  /* Most PBXs send no names with their CDRs: then this writes nothing */
  if (!kc_store_set_pbx_names (self->store, run->names, error))
    return FALSE;
  g_hash_table_remove_all (run->names);
  return TRUE;
}

static void
on_history (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcSync *self = g_task_get_source_object (task);
  SyncRun *run = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;
  guint64 n_read = 0;

  if (!kc_kerio_client_read_call_history_finish (KC_KERIO_CLIENT (source), result, &n_read,
                                                 &error))
    {
      run_failed (task, error);
      return;
    }
  g_message ("Fetched %" G_GUINT64_FORMAT " call records from Kerio Operator", n_read);
  if (run->n_skipped > 0)
    g_debug ("Skipped %u call records without a start time or numbers", run->n_skipped);

  /* Every page is stored: the next sync may start from here. */
  if (run->newest >= 0 && !kc_store_set_complete_until (self->store, run->newest, &error))
    {
      run_failed (task, error);
      return;
    }
  g_message ("Synced %u new call records", run->n_new);

  cancellable = g_task_get_cancellable (task);
  kc_kerio_client_get_recordings_async (self->client, run->since, cancellable, on_recordings,
                                        g_steal_pointer (&task));
}

void
kc_sync_run_async (KcSync              *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  SyncRun *run;
  gint64 latest;

  g_return_if_fail (KC_IS_SYNC (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_sync_run_async);
  /* Once the history is written, report that even if a stop comes later. */
  g_task_set_check_cancellable (task, FALSE);

  run = g_new0 (SyncRun, 1);
  run->self = self;
  run->newest = -1;
  latest = kc_store_get_complete_until (self->store);
  run->since = latest < 0 ? -1 : MAX (latest - KC_SYNC_TRAILING_WINDOW, 0);
  run->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_task_set_task_data (task, run, (GDestroyNotify) sync_run_free);

  self->n_running++;
  kc_kerio_client_read_call_history_async (self->client, run->since, on_history_page, run,
                                           cancellable, on_history, g_steal_pointer (&task));
}

gboolean
kc_sync_run_finish (KcSync        *self,
                    GAsyncResult  *result,
                    guint         *n_new,
                    GError       **error)
{
  SyncRun *run;

  g_return_val_if_fail (KC_IS_SYNC (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  run = g_task_get_task_data (G_TASK (result));
  if (n_new)
    *n_new = run->n_new;
  return TRUE;
}

static void
on_scheduled_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  /* Failures were logged and signalled already; the schedule carries on. */
  kc_sync_run_finish (KC_SYNC (source), result, NULL, NULL);
}

static void
run_scheduled (KcSync *self)
{
  if (self->n_running > 0)
    return;
  kc_sync_run_async (self, self->cancellable, on_scheduled_done, NULL);
}

static gboolean
on_tick (gpointer user_data)
{
  run_scheduled (user_data);
  return G_SOURCE_CONTINUE;
}

void
kc_sync_start (KcSync *self)
{
  double interval_ms;

  g_return_if_fail (KC_IS_SYNC (self));

  if (self->timeout_id != 0)
    return;

  interval_ms = CLAMP (self->interval_minutes * 60000.0, 1.0, (double) G_MAXUINT);
  self->cancellable = g_cancellable_new ();
  self->timeout_id = g_timeout_add ((guint) interval_ms, on_tick, self);
  run_scheduled (self);
}

void
kc_sync_stop (KcSync *self)
{
  g_return_if_fail (KC_IS_SYNC (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

KcRecord *
kc_sync_record_from_cdr (const KcCdr *cdr,
                         const char  *extension,
                         guint        extension_digits)
{
  KcRecord *record;
  KcDirection direction;

  g_return_val_if_fail (cdr != NULL, NULL);

  /* A start the history cannot show (past year 9999) is garbage, not a
   * call. */
  if (cdr->from_number == NULL || *cdr->from_number == '\0' || cdr->to_number == NULL ||
      *cdr->to_number == '\0' || cdr->timestamp < 0 || cdr->timestamp > LAST_SECOND_OF_9999)
    return NULL;

  /* The history keeps every call the PBX reports; one the operator's
   * extension took no part in gets its direction from the number rule. */
  if (!kc_classify_call (cdr->from_number, cdr->to_number, extension, extension_digits,
                         &direction))
    kc_classify_call (cdr->from_number, cdr->to_number, NULL, extension_digits, &direction);

  record = kc_record_new ();
  if (cdr->id != NULL && *cdr->id != '\0')
    record->call_id = g_strdup (cdr->id);
  else
    record->call_id = g_strdup_printf ("%" G_GINT64_FORMAT "-%s-%s", cdr->timestamp,
                                       cdr->from_number, cdr->to_number);
  record->direction = direction;
  record->from_number = g_strdup (cdr->from_number);
  record->to_number = g_strdup (cdr->to_number);
  record->extension = g_strdup (direction == KC_DIRECTION_INCOMING ? cdr->to_number
                                                                   : cdr->from_number);
  record->start_time = cdr->timestamp;
  /* Bounded so that start + duration cannot overflow on a corrupt row */
  record->duration = CLAMP (cdr->call_duration, 0, G_MAXINT32);
  record->end_time = record->start_time + record->duration;
  record->answered = MAX (cdr->answered_duration, 0);
  record->status = kc_call_status_from_kerio (cdr->status);
  record->kerio_status = cdr->status;
  record->voicemail = cdr->status == 6;
  record->from_cdr = TRUE;
  return record;
}

KcSync *
kc_sync_new (KcKerioClient *client,
             KcStore       *store,
             double         interval_minutes,
             const char    *extension,
             guint          extension_digits)
{
  KcSync *self;

  g_return_val_if_fail (KC_IS_KERIO_CLIENT (client), NULL);
  g_return_val_if_fail (KC_IS_STORE (store), NULL);
  g_return_val_if_fail (interval_minutes > 0, NULL);

  self = g_object_new (KC_TYPE_SYNC, NULL);
  self->client = g_object_ref (client);
  self->store = g_object_ref (store);
  self->interval_minutes = interval_minutes;
  self->extension = g_strdup (extension);
  self->extension_digits = extension_digits;
  return self;
}

static void
kc_sync_dispose (GObject *object)
{
  KcSync *self = KC_SYNC (object);

  kc_sync_stop (self);
  g_clear_object (&self->client);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kc_sync_parent_class)->dispose (object);
}

static void
kc_sync_finalize (GObject *object)
{
  KcSync *self = KC_SYNC (object);

  g_free (self->extension);
  g_free (self->last_error);
  g_free (self->last_recordings_error);
  g_free (self->last_directory_error);

  G_OBJECT_CLASS (kc_sync_parent_class)->finalize (object);
}

static void
kc_sync_class_init (KcSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_sync_dispose;
  object_class->finalize = kc_sync_finalize;

  /* A sync finished; n_new rows were added to the history. */
  signals[SYNCED] = g_signal_new ("synced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /* The PBX's directory was read into the store: names may have changed */
  signals[DIRECTORY_CHANGED] = g_signal_new ("directory-changed", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                             0);
  /* A sync failed and changed nothing; the schedule keeps going. */
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
kc_sync_init (KcSync *self)
{
}
