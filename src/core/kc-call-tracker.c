/* kc-call-tracker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-call-tracker"

#include <math.h>

#include "kc-call-tracker.h"

/* Kerio's CALL_DURATION is whole seconds read at slightly different moments
 * than our clock, so a call without an ID may seem to start a second earlier
 * or later from one poll to the next. */
#define START_JITTER 1

struct _KcCallTracker
{
  GObject            parent_instance;

  KcKerioClient     *client;
  double             poll_interval;
  char              *extension;
  guint              extension_digits;

  GListStore        *calls;
  GHashTable        *by_key; /* call id -> KcCall (owned by `calls`) */

  KcConnectionState  connection_state;
  char              *last_error;
  KcKerioError       last_error_code;
  guint              n_failures; /* in a row */
  guint              poll_source;
  gint64             poll_started; /* monotonic µs */
  GCancellable      *cancellable;
  gboolean           running;
};

G_DEFINE_FINAL_TYPE (KcCallTracker, kc_call_tracker, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONNECTION_STATE,
  PROP_LAST_ERROR,
  N_PROPS
};

enum {
  INCOMING_CALL,
  OUTGOING_CALL,
  CALL_STATE_CHANGED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule_poll (KcCallTracker *self,
                           double         delay);

static void
kc_call_tracker_dispose (GObject *object)
{
  KcCallTracker *self = KC_CALL_TRACKER (object);

  kc_call_tracker_stop (self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kc_call_tracker_parent_class)->dispose (object);
}

static void
kc_call_tracker_finalize (GObject *object)
{
  KcCallTracker *self = KC_CALL_TRACKER (object);

  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_object (&self->calls);
  g_free (self->extension);
  g_free (self->last_error);

  G_OBJECT_CLASS (kc_call_tracker_parent_class)->finalize (object);
}

static void
kc_call_tracker_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KcCallTracker *self = KC_CALL_TRACKER (object);

  switch (prop_id)
    {
    case PROP_CONNECTION_STATE:
      g_value_set_int (value, self->connection_state);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_call_tracker_class_init (KcCallTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_call_tracker_dispose;
  object_class->finalize = kc_call_tracker_finalize;
  object_class->get_property = kc_call_tracker_get_property;

  props[PROP_CONNECTION_STATE] =
    g_param_spec_int ("connection-state", NULL, NULL, KC_CONNECTION_CONNECTING,
                      KC_CONNECTION_ERROR, KC_CONNECTION_CONNECTING,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[INCOMING_CALL] = g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                         1, KC_TYPE_CALL);
  signals[OUTGOING_CALL] = g_signal_new ("outgoing-call", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                         1, KC_TYPE_CALL);
  signals[CALL_STATE_CHANGED] = g_signal_new ("call-state-changed", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 2, KC_TYPE_CALL, G_TYPE_INT);
}

static void
kc_call_tracker_init (KcCallTracker *self)
{
  self->calls = g_list_store_new (KC_TYPE_CALL);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  self->connection_state = KC_CONNECTION_CONNECTING;
}

KcCallTracker *
kc_call_tracker_new (KcKerioClient *client,
                     double         poll_interval,
                     const char    *extension,
                     guint          extension_digits)
{
  KcCallTracker *self;

  g_return_val_if_fail (KC_IS_KERIO_CLIENT (client), NULL);
  g_return_val_if_fail (poll_interval > 0, NULL);

  self = g_object_new (KC_TYPE_CALL_TRACKER, NULL);
  self->client = g_object_ref (client);
  self->poll_interval = poll_interval;
  self->extension = extension && *extension ? g_strdup (extension) : NULL;
  self->extension_digits = extension_digits;
  return self;
}

double
kc_call_tracker_get_poll_interval (KcCallTracker *self)
{
  g_return_val_if_fail (KC_IS_CALL_TRACKER (self), 0);
  return self->poll_interval;
}

GListModel *
kc_call_tracker_get_calls (KcCallTracker *self)
{
  g_return_val_if_fail (KC_IS_CALL_TRACKER (self), NULL);
  return G_LIST_MODEL (self->calls);
}

KcConnectionState
kc_call_tracker_get_connection_state (KcCallTracker *self)
{
  g_return_val_if_fail (KC_IS_CALL_TRACKER (self), KC_CONNECTION_ERROR);
  return self->connection_state;
}

const char *
kc_call_tracker_get_last_error (KcCallTracker *self)
{
  g_return_val_if_fail (KC_IS_CALL_TRACKER (self), NULL);
  return self->last_error;
}

KcKerioError
kc_call_tracker_get_last_error_code (KcCallTracker *self)
{
  g_return_val_if_fail (KC_IS_CALL_TRACKER (self), KC_KERIO_ERROR_FAILED);
  return self->last_error_code;
}

/* The known call that a row without a PBX id is: same numbers, start within
 * the jitter, not already claimed by another row of the snapshot. Its key
 * has the shape the sync gives ID-less CDRs: START-FROM-TO. */
static KcCall *
find_derived (KcCallTracker *self,
              const char    *from,
              const char    *to,
              gint64         start,
              GHashTable    *seen)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KcCall) call = g_list_model_get_item (G_LIST_MODEL (self->calls), i);

      /* A KcCall keeps a missing number as "" */
      if (!g_hash_table_contains (seen, kc_call_get_call_id (call)) &&
          g_strcmp0 (kc_call_get_from_number (call), from ? from : "") == 0 &&
          g_strcmp0 (kc_call_get_to_number (call), to ? to : "") == 0 &&
          ABS (kc_call_get_start_time (call) - start) <= START_JITTER)
        return call;
    }
  return NULL;
}

static void
end_call (KcCallTracker *self,
          KcCall        *call,
          gint64         now)
{
  KcCallState old = kc_call_get_state (call);
  guint position;

  g_object_ref (call);
  if (g_list_store_find (self->calls, call, &position))
    g_list_store_remove (self->calls, position);
  g_hash_table_remove (self->by_key, kc_call_get_call_id (call));

  kc_call_set_end_time (call, now);
  kc_call_set_state (call, old == KC_CALL_STATE_TALKING ? KC_CALL_STATE_FINISHED
                                                         : KC_CALL_STATE_MISSED);
  g_signal_emit (self, signals[CALL_STATE_CHANGED], 0, call, (int) old);
  g_object_unref (call);
}

void
kc_call_tracker_apply_snapshot (KcCallTracker *self,
                                GPtrArray     *calls,
                                gint64         now)
{
  g_autoptr (GHashTable) seen = NULL;
  g_autoptr (GPtrArray) new_calls = NULL;
  g_autoptr (GPtrArray) answered = NULL;
  g_autoptr (GPtrArray) gone = NULL;
  guint n;

  g_return_if_fail (KC_IS_CALL_TRACKER (self));
  g_return_if_fail (calls != NULL);

  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  new_calls = g_ptr_array_new_with_free_func (g_object_unref);
  answered = g_ptr_array_new_with_free_func (g_object_unref);
  gone = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < calls->len; i++)
    {
      const KcActiveCall *row = g_ptr_array_index (calls, i);
      /* A duration longer than the epoch is garbage; bounded, start times
       * stay in [0, now] and their differences cannot overflow. */
      gint64 start = now - CLAMP (row->call_duration, 0, MAX (now, 0));
      g_autofree char *derived_key = NULL;
      KcDirection direction;
      KcCall *call;

      if (!kc_classify_call (row->from_number, row->to_number, self->extension,
                             self->extension_digits, &direction))
        continue;

      if (row->id && *row->id)
        call = g_hash_table_lookup (self->by_key, row->id);
      else
        call = find_derived (self, row->from_number, row->to_number, start, seen);

      if (call == NULL)
        {
          if (!(row->id && *row->id))
            derived_key = g_strdup_printf ("%" G_GINT64_FORMAT "-%s-%s", start,
                                           row->from_number ? row->from_number : "",
                                           row->to_number ? row->to_number : "");
          /* Two rows of one snapshot with the same ID are one call. */
          if (g_hash_table_contains (seen, derived_key ? derived_key : row->id))
            continue;

          /* A derived key is the call's identity, as it is for the sync: a
           * known call with the same key (numbers with dashes join the same
           * way) is that call, never a second one under the same key. */
          if (derived_key)
            call = g_hash_table_lookup (self->by_key, derived_key);
        }
      if (call == NULL)
        {
          call = kc_call_new (derived_key ? derived_key : row->id, row->from_number,
                              row->from_name, row->to_number, row->to_name, direction, start);
          g_list_store_append (self->calls, call);
          g_hash_table_insert (self->by_key, (gpointer) kc_call_get_call_id (call), call);
          g_ptr_array_add (new_calls, call);
        }
      else if (g_hash_table_contains (seen, kc_call_get_call_id (call)))
        {
          continue;
        }

      g_hash_table_add (seen, g_strdup (kc_call_get_call_id (call)));

      if (kc_active_call_is_connected (row) && kc_call_get_state (call) == KC_CALL_STATE_RINGING)
        {
          kc_call_set_answer_time (call, now - CLAMP (row->answered_duration, 0, MAX (now, 0)));
          /* A call first seen already connected is announced in that state,
           * with no separate change. */
          if (g_ptr_array_find (new_calls, call, NULL))
            kc_call_set_state (call, KC_CALL_STATE_TALKING);
          else
            g_ptr_array_add (answered, g_object_ref (call));
        }
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));
  for (guint i = 0; i < n; i++)
    {
      KcCall *call = g_list_model_get_item (G_LIST_MODEL (self->calls), i);

      if (g_hash_table_contains (seen, kc_call_get_call_id (call)))
        g_object_unref (call);
      else
        g_ptr_array_add (gone, call);
    }

  /* Signals go out after the whole snapshot is applied, so a handler always
   * sees a consistent model. The array holds its own references: handlers may
   * do anything, including stopping the tracker. */
  for (guint i = 0; i < new_calls->len; i++)
    {
      KcCall *call = g_ptr_array_index (new_calls, i);

      g_signal_emit (self,
                     signals[kc_call_get_direction (call) == KC_DIRECTION_INCOMING
                               ? INCOMING_CALL
                               : OUTGOING_CALL],
                     0, call);
    }
  for (guint i = 0; i < answered->len; i++)
    {
      KcCall *call = g_ptr_array_index (answered, i);

      kc_call_set_state (call, KC_CALL_STATE_TALKING);
      g_signal_emit (self, signals[CALL_STATE_CHANGED], 0, call, (int) KC_CALL_STATE_RINGING);
    }
  for (guint i = 0; i < gone->len; i++)
    end_call (self, g_ptr_array_index (gone, i), now);
}

static void
set_connection (KcCallTracker     *self,
                KcConnectionState  state,
                const GError      *error)
{
  const char *error_message = error ? error->message : NULL;

  self->last_error_code = error && error->domain == KC_KERIO_ERROR ? (KcKerioError) error->code
                                                                   : KC_KERIO_ERROR_FAILED;
  if (g_strcmp0 (self->last_error, error_message) != 0)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error_message);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LAST_ERROR]);
    }
  if (self->connection_state != state)
    {
      self->connection_state = state;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CONNECTION_STATE]);
    }
}

/* After the n-th failure in a row: the first retry right away (well within
 * a ring), then doubling up to the cap */
static double
retry_delay (KcCallTracker *self)
{
  double first = MIN (KC_TRACKER_RETRY_FIRST, self->poll_interval);
  double cap = MAX (KC_TRACKER_BACKOFF_MAX, self->poll_interval);
  guint doublings = MIN (self->n_failures - 1, 16);

  return MIN (first * (double) (1u << doublings), cap);
}

static void
poll_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (KcCallTracker) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  double elapsed;

  calls = kc_kerio_client_get_calls_finish (KC_KERIO_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->running)
    return;

  if (calls == NULL)
    {
      /* The calls we know of stay as they are until the PBX can be asked
       * again. */
      self->n_failures++;
      if (self->n_failures == 1)
        g_debug ("Polling Kerio Operator failed, retrying at once: %s", error->message);
      else
        {
          /* Each distinct failure is logged once */
          if (g_strcmp0 (self->last_error, error->message) != 0)
            g_message ("Polling Kerio Operator failed: %s (retrying with backoff up to %g s)",
                       error->message, MAX (KC_TRACKER_BACKOFF_MAX, self->poll_interval));
          set_connection (self, KC_CONNECTION_ERROR, error);
        }
      schedule_poll (self, retry_delay (self));
      return;
    }

  if (self->connection_state == KC_CONNECTION_ERROR)
    g_message ("Connection to Kerio Operator restored");
  self->n_failures = 0;
  set_connection (self, KC_CONNECTION_CONNECTED, NULL);
  kc_call_tracker_apply_snapshot (self, calls, g_get_real_time () / G_USEC_PER_SEC);

  if (!self->running)
    return;
  /* Polls start one interval apart, however long each took, and never
   * overlap. */
  elapsed = (g_get_monotonic_time () - self->poll_started) / (double) G_USEC_PER_SEC;
  schedule_poll (self, MAX (self->poll_interval - elapsed, 0));
}

static gboolean
poll_now (gpointer user_data)
{
  KcCallTracker *self = user_data;

  self->poll_source = 0;
  self->poll_started = g_get_monotonic_time ();
  kc_kerio_client_get_calls_async (self->client, self->cancellable, poll_done,
                                   g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (KcCallTracker *self,
               double         delay)
{
  g_clear_handle_id (&self->poll_source, g_source_remove);
  self->poll_source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) lround (delay * 1000),
                                          poll_now, self, NULL);
}

void
kc_call_tracker_start (KcCallTracker *self)
{
  g_return_if_fail (KC_IS_CALL_TRACKER (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->cancellable = g_cancellable_new ();
  self->n_failures = 0;
  schedule_poll (self, 0);
}

void
kc_call_tracker_stop (KcCallTracker *self)
{
  g_return_if_fail (KC_IS_CALL_TRACKER (self));

  self->running = FALSE;
  g_clear_handle_id (&self->poll_source, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}
