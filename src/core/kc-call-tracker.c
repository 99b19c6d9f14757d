/* kc-call-tracker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-call-tracker"

#include <math.h>
#include <string.h>

#include "kc-ami-calls.h"
#include "kc-call-groups.h"
#include "kc-call-tracker.h"
#include "kc-cdr-check.h"


struct _KcCallTracker
{
  GObject            parent_instance;

  KcKerioClient     *client;
  double             poll_interval;

  GListStore        *calls;
  KcCallGroups      *groups;  /* the rows of the last snapshot, as calls */
  KcCdrCheck        *cdr_check;

  KcConnectionState  connection_state;
  char              *last_error;
  KcKerioError       last_error_code;
  guint              n_failures; /* in a row */
  guint              poll_source;
  gint64             poll_started;  /* monotonic µs */
  gint64             poll_sent_us;  /* the same, Unix µs */
  gboolean           poll_in_flight;
  gboolean           poll_again;    /* at once, when the one in flight is done */
  gboolean           ami_was_live;
  guint              ami_apply_source;
  GCancellable      *cancellable;
  gboolean           running;

  KcAmiClient       *ami; /* NULL without AMI */
  KcAmiCalls        *ami_calls;
  double             reconcile_interval;
};

G_DEFINE_FINAL_TYPE (KcCallTracker, kc_call_tracker, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONNECTION_STATE,
  PROP_LAST_ERROR,
  PROP_LIVE_SOURCE,
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
static void on_cdr_answered (KcCallTracker *self,
                             KcCall        *call,
                             const char    *answered_by,
                             gint64         answer_time);

static void
kc_call_tracker_dispose (GObject *object)
{
  KcCallTracker *self = KC_CALL_TRACKER (object);

  kc_call_tracker_stop (self);
  if (self->ami)
    g_signal_handlers_disconnect_by_data (self->ami, self);
  g_clear_object (&self->ami);
  g_clear_object (&self->ami_calls);
  g_clear_object (&self->cdr_check);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kc_call_tracker_parent_class)->dispose (object);
}

static void
kc_call_tracker_finalize (GObject *object)
{
  KcCallTracker *self = KC_CALL_TRACKER (object);

  g_clear_pointer (&self->groups, kc_call_groups_free);
  g_clear_object (&self->calls);
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
    case PROP_LIVE_SOURCE:
      g_value_set_int (value, kc_call_tracker_get_live_source (self));
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
  props[PROP_LIVE_SOURCE] =
    g_param_spec_int ("live-source", NULL, NULL, KC_LIVE_SOURCE_POLLING, KC_LIVE_SOURCE_AMI,
                      KC_LIVE_SOURCE_POLLING,
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
  self->connection_state = KC_CONNECTION_CONNECTING;
  self->reconcile_interval = KC_TRACKER_AMI_RECONCILE;
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
  self->groups = kc_call_groups_new (self->calls, extension, extension_digits);
  self->cdr_check = kc_cdr_check_new (client);
  g_signal_connect_object (self->cdr_check, "answered", G_CALLBACK (on_cdr_answered), self,
                           G_CONNECT_SWAPPED);
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

/* --- The PBX's word on a missed call */

static void
check_missed_call (KcCallTracker *self,
                   KcCall        *call)
{
  /* Only a tracker that talks to the PBX asks it; one fed snapshots by hand
   * (tests, fuzzers) does not. */
  if (self->running)
    kc_cdr_check_start (self->cdr_check, call);
}

/* The call's CDR says it was answered: it was not missed after all. */
static void
on_cdr_answered (KcCallTracker *self,
                 KcCall        *call,
                 const char    *answered_by,
                 gint64         answer_time)
{
  if (kc_call_get_state (call) != KC_CALL_STATE_MISSED)
    return;
  g_message ("Call %s was answered after all, says its CDR%s%s", kc_call_get_call_id (call),
             answered_by ? ", at " : "", answered_by ? answered_by : "");
  kc_call_set_answered_by (call, answered_by);
  if (answer_time > 0)
    kc_call_set_answer_time (call, answer_time);
  kc_call_set_corrected (call, TRUE);
  kc_call_set_state (call, KC_CALL_STATE_FINISHED);
  g_signal_emit (self, signals[CALL_STATE_CHANGED], 0, call, (int) KC_CALL_STATE_MISSED);
}

void
kc_call_tracker_set_cdr_check_timing (KcCallTracker *self,
                                      double         first_retry,
                                      double         give_up)
{
  g_return_if_fail (KC_IS_CALL_TRACKER (self));
  kc_cdr_check_set_timing (self->cdr_check, first_retry, give_up);
}

void
kc_call_tracker_apply_snapshot (KcCallTracker *self,
                                GPtrArray     *calls,
                                gint64         now)
{
  KcCallChanges changes;

  g_return_if_fail (KC_IS_CALL_TRACKER (self));
  g_return_if_fail (calls != NULL);

  kc_call_changes_init (&changes);

  kc_call_groups_apply (self->groups, calls, now, &changes);

  /* Signals go out after the whole snapshot is applied, so a handler always
   * sees a consistent model. The arrays hold their own references: handlers
   * may do anything, including stopping the tracker. */
  for (guint i = 0; i < changes.new_calls->len; i++)
    {
      KcCall *call = g_ptr_array_index (changes.new_calls, i);

      g_signal_emit (self,
                     signals[kc_call_get_direction (call) == KC_DIRECTION_INCOMING
                               ? INCOMING_CALL
                               : OUTGOING_CALL],
                     0, call);
    }
  for (guint i = 0; i < changes.answered->len; i++)
    {
      KcCall *call = g_ptr_array_index (changes.answered, i);

      kc_call_set_state (call, KC_CALL_STATE_TALKING);
      g_signal_emit (self, signals[CALL_STATE_CHANGED], 0, call, (int) KC_CALL_STATE_RINGING);
    }
  for (guint i = 0; i < changes.ended->len; i++)
    {
      KcCall *call = g_ptr_array_index (changes.ended, i);

      g_signal_emit (self, signals[CALL_STATE_CHANGED], 0, call,
                     (int) g_array_index (changes.ended_old, KcCallState, i));
      if (kc_call_get_state (call) == KC_CALL_STATE_MISSED)
        check_missed_call (self, call);
    }

  kc_call_changes_clear (&changes);
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

/* --- AMI: instant events, with polls to put right what they miss */

static gboolean
ami_is_live (KcCallTracker *self)
{
  return self->ami != NULL && kc_ami_client_get_state (self->ami) == KC_AMI_STATE_CONNECTED;
}

KcLiveSource
kc_call_tracker_get_live_source (KcCallTracker *self)
{
  g_return_val_if_fail (KC_IS_CALL_TRACKER (self), KC_LIVE_SOURCE_POLLING);
  return ami_is_live (self) ? KC_LIVE_SOURCE_AMI : KC_LIVE_SOURCE_POLLING;
}

static double
current_interval (KcCallTracker *self)
{
  return ami_is_live (self) ? MAX (self->reconcile_interval, self->poll_interval)
                            : self->poll_interval;
}

static void
apply_ami_rows (KcCallTracker *self)
{
  gint64 now_us = g_get_real_time ();
  g_autoptr (GPtrArray) rows = kc_ami_calls_get_rows (self->ami_calls, now_us);

  kc_call_tracker_apply_snapshot (self, rows, now_us / G_USEC_PER_SEC);
}

static gboolean
apply_ami_rows_now (gpointer data)
{
  KcCallTracker *self = data;

  self->ami_apply_source = 0;
  apply_ami_rows (self);
  return G_SOURCE_REMOVE;
}

/* Events come in bursts (a channel's Newchannel, then the Dial that says
 * whose call it is): the calls are worked out once the burst has been
 * read, which is still well within a millisecond */
static void
on_ami_event (KcCallTracker *self,
              KcAmiMessage  *event)
{
  if (!self->running || !ami_is_live (self))
    return;
  if (kc_ami_calls_handle_event (self->ami_calls, event, g_get_real_time ()) &&
      self->ami_apply_source == 0)
    self->ami_apply_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, apply_ami_rows_now, self,
                                              NULL);
}

static void poll_soon (KcCallTracker *self);

/* Either way the source changes, a poll at once: AMI just up knows none of
 * the calls under way, and AMI gone leaves the polls to tell of them. The
 * calls keep their identity (the channels' ids are the rows' ids), so none
 * pops up twice or goes missing across the switch. */
static void
on_ami_state (KcCallTracker *self)
{
  gboolean live = ami_is_live (self);

  if (live == self->ami_was_live)
    return;
  self->ami_was_live = live;
  /* Events read just before the connection closed (a PBX that reboots
   * sends the Hangups of the calls it cuts off, then closes) are still
   * AMI's word: worked out now, with the channels they are about. Left to
   * the idle, they would be worked out after the clear below, from the
   * last cross-checking poll alone, which may list calls that have ended
   * since: those would pop up again. */
  if (self->ami_apply_source != 0)
    {
      g_clear_handle_id (&self->ami_apply_source, g_source_remove);
      apply_ami_rows (self);
    }
  kc_ami_calls_clear (self->ami_calls);
  if (live)
    g_message ("Instant pop-ups: the Asterisk Manager Interface is connected; polling every %g s "
               "to cross-check",
               current_interval (self));
  else
    {
      const GError *error = self->ami ? kc_ami_client_get_error (self->ami) : NULL;

      g_message ("Instant pop-ups: the Asterisk Manager Interface is not connected%s%s; polling "
                 "every %g s",
                 error ? ": " : "", error ? error->message : "", self->poll_interval);
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LIVE_SOURCE]);
  if (self->running)
    poll_soon (self);
}

void
kc_call_tracker_set_ami (KcCallTracker *self,
                         KcAmiClient   *ami)
{
  g_return_if_fail (KC_IS_CALL_TRACKER (self));
  g_return_if_fail (ami == NULL || KC_IS_AMI_CLIENT (ami));

  if (self->ami)
    g_signal_handlers_disconnect_by_data (self->ami, self);
  g_set_object (&self->ami, ami);
  if (self->ami_calls == NULL)
    self->ami_calls = kc_ami_calls_new ();
  if (ami)
    {
      g_signal_connect_swapped (ami, "event", G_CALLBACK (on_ami_event), self);
      g_signal_connect_swapped (ami, "notify::state", G_CALLBACK (on_ami_state), self);
    }
  on_ami_state (self);
}

KcAmiClient *
kc_call_tracker_get_ami (KcCallTracker *self)
{
  g_return_val_if_fail (KC_IS_CALL_TRACKER (self), NULL);
  return self->ami;
}

void
kc_call_tracker_set_reconcile_interval (KcCallTracker *self,
                                        double         seconds)
{
  g_return_if_fail (KC_IS_CALL_TRACKER (self));
  g_return_if_fail (seconds > 0);
  self->reconcile_interval = seconds;
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
  self->poll_in_flight = FALSE;
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
  /* With AMI, every poll is what AMI builds on: the calls under way when
   * it comes up, and those it misses */
  if (self->ami_calls)
    kc_ami_calls_reconcile (self->ami_calls, calls, self->poll_sent_us);
  if (ami_is_live (self))
    apply_ami_rows (self);
  else
    kc_call_tracker_apply_snapshot (self, calls, g_get_real_time () / G_USEC_PER_SEC);

  if (!self->running)
    return;
  /* Polls start one interval apart, however long each took, and never
   * overlap. */
  elapsed = (g_get_monotonic_time () - self->poll_started) / (double) G_USEC_PER_SEC;
  schedule_poll (self, self->poll_again ? 0 : MAX (current_interval (self) - elapsed, 0));
}

static gboolean
poll_now (gpointer user_data)
{
  KcCallTracker *self = user_data;

  self->poll_source = 0;
  if (self->poll_in_flight)
    {
      self->poll_again = TRUE;
      return G_SOURCE_REMOVE;
    }
  self->poll_in_flight = TRUE;
  self->poll_again = FALSE;
  self->poll_started = g_get_monotonic_time ();
  self->poll_sent_us = g_get_real_time ();
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

static void
poll_soon (KcCallTracker *self)
{
  if (self->poll_in_flight)
    self->poll_again = TRUE;
  else
    schedule_poll (self, 0);
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
  g_clear_handle_id (&self->ami_apply_source, g_source_remove);
  self->poll_in_flight = FALSE;
  self->poll_again = FALSE;
  g_clear_handle_id (&self->poll_source, g_source_remove);
  if (self->cdr_check)
    kc_cdr_check_cancel_all (self->cdr_check);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}
