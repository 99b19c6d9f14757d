/* test-tracker.c: live calls as the operator sees them come and go
 *
 * The diff is driven snapshot by snapshot through
 * kc_call_tracker_apply_snapshot(); the poll loop runs against the simulator
 * over HTTP.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "core/kc-call-tracker.h"
#include "core/kc-cdr-check.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

#define NOW 1735732800 /* 2025-01-01T12:00:00Z */

typedef struct
{
  GPtrArray *events; /* "incoming ID state", "outgoing ID state", "state ID old->new" */
} Recorder;

static void
on_incoming (KcCallTracker *tracker,
             KcCall        *call,
             Recorder      *rec)
{
  g_ptr_array_add (rec->events,
                   g_strdup_printf ("incoming %s %s", kc_call_get_call_id (call),
                                    kc_call_state_to_string (kc_call_get_state (call))));
}

static void
on_outgoing (KcCallTracker *tracker,
             KcCall        *call,
             Recorder      *rec)
{
  g_ptr_array_add (rec->events,
                   g_strdup_printf ("outgoing %s %s", kc_call_get_call_id (call),
                                    kc_call_state_to_string (kc_call_get_state (call))));
}

static void
on_state (KcCallTracker *tracker,
          KcCall        *call,
          int            old,
          Recorder      *rec)
{
  const char *answered_by = kc_call_get_answered_by (call);

  g_ptr_array_add (rec->events,
                   g_strdup_printf ("state %s %s->%s%s%s%s", kc_call_get_call_id (call),
                                    kc_call_state_to_string (old),
                                    kc_call_state_to_string (kc_call_get_state (call)),
                                    answered_by ? " by " : "", answered_by ? answered_by : "",
                                    kc_call_get_corrected (call) ? " corrected" : ""));
}

static KcCallTracker *
make_tracker (Recorder   *rec,
              const char *extension)
{
  g_autoptr (GUri) uri = g_uri_parse ("http://127.0.0.1:9/admin/api/jsonrpc/", 0, NULL);
  g_autoptr (KcKerioClient) client = kc_kerio_client_new (uri, "u", "p");
  KcCallTracker *tracker = kc_call_tracker_new (client, 1.0, extension, 4);

  rec->events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (tracker, "incoming-call", G_CALLBACK (on_incoming), rec);
  g_signal_connect (tracker, "outgoing-call", G_CALLBACK (on_outgoing), rec);
  g_signal_connect (tracker, "call-state-changed", G_CALLBACK (on_state), rec);
  return tracker;
}

static KcActiveCall *
row (const char *id,
     const char *from,
     const char *to,
     const char *status,
     gint64      answered,
     gint64      duration)
{
  KcActiveCall *call = g_new0 (KcActiveCall, 1);

  call->id = g_strdup (id);
  call->from_number = g_strdup (from);
  call->to_number = g_strdup (to);
  call->status = g_strdup (status);
  call->answered_duration = answered;
  call->call_duration = duration;
  return call;
}

static GPtrArray *
snapshot (KcActiveCall *first,
          ...)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_active_call_free);
  va_list args;

  va_start (args, first);
  for (KcActiveCall *r = first; r; r = va_arg (args, KcActiveCall *))
    g_ptr_array_add (rows, r);
  va_end (args);
  return rows;
}

static void
apply (KcCallTracker *tracker,
       GPtrArray     *rows,
       gint64         now)
{
  kc_call_tracker_apply_snapshot (tracker, rows, now);
  g_ptr_array_unref (rows);
}

static void
assert_events (Recorder   *rec,
               const char *expected)
{
  g_autofree char *joined = NULL;

  g_ptr_array_add (rec->events, NULL);
  joined = g_strjoinv ("|", (char **) rec->events->pdata);
  g_ptr_array_set_size (rec->events, 0);
  g_assert_cmpstr (joined, ==, expected);
}

static void
test_incoming_answered_finished (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);
  GListModel *model = kc_call_tracker_get_calls (tracker);

  apply (tracker, snapshot (row ("c1", "+998901234567", "1001", "Ringing", 0, 0), NULL), NOW);
  assert_events (&rec, "incoming c1 kelyapti");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);

  /* Still ringing: nothing to say. */
  apply (tracker, snapshot (row ("c1", "+998901234567", "1001", "Ringing", 0, 2), NULL), NOW + 2);
  assert_events (&rec, "");

  apply (tracker, snapshot (row ("c1", "+998901234567", "1001", "Answered", 1, 5), NULL), NOW + 5);
  assert_events (&rec, "state c1 kelyapti->suhbatda");
  apply (tracker, snapshot (row ("c1", "+998901234567", "1001", "Answered", 10, 14), NULL),
         NOW + 14);
  assert_events (&rec, "");

  apply (tracker, snapshot (NULL), NOW + 20);
  assert_events (&rec, "state c1 suhbatda->yakunlandi");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_ptr_array_unref (rec.events);
}

static void
test_missed (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);

  apply (tracker, snapshot (row ("m1", "+998931112233", "1002", NULL, -1, 3), NULL), NOW);
  apply (tracker, snapshot (NULL), NOW + 10);
  assert_events (&rec, "incoming m1 kelyapti|state m1 kelyapti->javobsiz");
  g_ptr_array_unref (rec.events);
}

static void
test_outgoing (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);
  GListModel *model = kc_call_tracker_get_calls (tracker);
  g_autoptr (KcCall) call = NULL;

  apply (tracker, snapshot (row ("o1", "1003", "+998971234567", "Ringing", 0, 1), NULL), NOW);
  assert_events (&rec, "outgoing o1 kelyapti");
  call = g_list_model_get_item (model, 0);
  g_assert_cmpint (kc_call_get_direction (call), ==, KC_DIRECTION_OUTGOING);
  g_assert_cmpstr (kc_call_get_extension (call), ==, "1003");
  /* The start comes from the PBX's CALL_DURATION, not from when we looked. */
  g_assert_cmpint (kc_call_get_start_time (call), ==, NOW - 1);
  g_ptr_array_unref (rec.events);
}

/* Every way the notes say a call is connected */
static void
test_connected_forms (void)
{
  const char *statuses[] = { "Answered", "UP", "connected", "Talking", "1", " 1 " };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      Recorder rec;
      g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);

      apply (tracker, snapshot (row ("x", "+998901234567", "1001", "Ringing", 0, 0), NULL), NOW);
      apply (tracker, snapshot (row ("x", "+998901234567", "1001", statuses[i], -1, 3), NULL),
             NOW + 3);
      assert_events (&rec, "incoming x kelyapti|state x kelyapti->suhbatda");
      g_ptr_array_unref (rec.events);
    }
}

/* A call the app first sees already connected (it started during a PBX
 * outage) is announced once, in its real state. */
static void
test_first_seen_connected (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);

  apply (tracker, snapshot (row ("t", "+998901234567", "1001", "Answered", 30, 40), NULL), NOW);
  assert_events (&rec, "incoming t suhbatda");
  apply (tracker, snapshot (NULL), NOW + 2);
  assert_events (&rec, "state t suhbatda->yakunlandi");
  g_ptr_array_unref (rec.events);
}

static void
test_extension_filter (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1001");

  apply (tracker,
         snapshot (row ("a", "+998901234567", "1002", "Ringing", 0, 0),  /* someone else's */
                   row ("b", "1003", "+998901234567", "Ringing", 0, 0),  /* someone else's */
                   row ("c", "1002", "1001", "Ringing", 0, 0),           /* to us: incoming */
                   row ("d", "1001", "1005", "Ringing", 0, 0),           /* from us: outgoing */
                   NULL),
         NOW);
  assert_events (&rec, "incoming c kelyapti|outgoing d kelyapti");
  g_assert_cmpuint (g_list_model_get_n_items (kc_call_tracker_get_calls (tracker)), ==, 2);
  g_ptr_array_unref (rec.events);
}

/* Without IDs a call is known by its numbers and its start, and the start
 * the PBX reports may wobble by a second between polls. */
static void
test_derived_identity (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);
  g_autofree char *key = g_strdup_printf ("%d-+998901234567-1001", NOW - 10);
  g_autofree char *expected = NULL;

  apply (tracker, snapshot (row (NULL, "+998901234567", "1001", "Ringing", 0, 10), NULL), NOW);
  /* 2 s later the PBX says 11 s (start seems 1 s later), then 14 s (1 s earlier) */
  apply (tracker, snapshot (row (NULL, "+998901234567", "1001", "Ringing", 0, 11), NULL), NOW + 2);
  apply (tracker, snapshot (row (NULL, "+998901234567", "1001", "Up", 2, 15), NULL), NOW + 4);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->suhbatda", key, key);
  assert_events (&rec, expected);

  /* Same numbers but a start 30 s apart: a second call of the same caller */
  apply (tracker,
         snapshot (row (NULL, "+998901234567", "1001", "Up", 4, 17),
                   row (NULL, "+998901234567", "1001", "Ringing", 0, 0), NULL),
         NOW + 6);
  g_assert_cmpuint (rec.events->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (rec.events, 0), "incoming "));
  g_assert_cmpuint (g_list_model_get_n_items (kc_call_tracker_get_calls (tracker)), ==, 2);
  g_ptr_array_unref (rec.events);
}

static void
test_duplicate_rows (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);

  apply (tracker,
         snapshot (row ("d", "+998901234567", "1001", "Ringing", 0, 0),
                   row ("d", "+998901234567", "1001", "Ringing", 0, 0), NULL),
         NOW);
  assert_events (&rec, "incoming d kelyapti");
  g_assert_cmpuint (g_list_model_get_n_items (kc_call_tracker_get_calls (tracker)), ==, 1);
  g_ptr_array_unref (rec.events);
}

/* "4" was once read as connected; no source supports it (it is the
 * history's code for an answered call, and Asterisk's for "Ring"). A value
 * nobody knows is ringing, and said once in the log for users to report. */
static guint n_unknown_status_logs;

static void
count_unknown_status_logs (const char     *domain,
                           GLogLevelFlags  level,
                           const char     *message,
                           gpointer        user_data)
{
  if (strstr (message, "STATUS \"4\""))
    n_unknown_status_logs++;
}

static void
test_unknown_status (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);

  n_unknown_status_logs = 0;
  g_log_set_handler ("kc-call-tracker", G_LOG_LEVEL_MESSAGE, count_unknown_status_logs, NULL);
  apply (tracker, snapshot (row ("u", "+998901234567", "1001", "0", -1, 0), NULL), NOW);
  apply (tracker, snapshot (row ("u", "+998901234567", "1001", "4", -1, 2), NULL), NOW + 2);
  apply (tracker, snapshot (row ("u", "+998901234567", "1001", "4", -1, 4), NULL), NOW + 4);
  assert_events (&rec, "incoming u kelyapti");
  g_assert_cmpuint (n_unknown_status_logs, ==, 1);
  apply (tracker, snapshot (row ("u", "+998901234567", "1001", "1", -1, 6), NULL), NOW + 6);
  assert_events (&rec, "state u kelyapti->suhbatda");
  g_log_set_handler ("kc-call-tracker", G_LOG_LEVEL_MESSAGE, g_log_default_handler, NULL);
  g_ptr_array_unref (rec.events);
}

/* As real appliances list a call from outside: one row per channel, ids
 * "<epoch>.<sequence>", STATUS "0" then "1", no ANSWERED_DURATION. The
 * second channel is a moment younger, so its duration may be a second
 * less. One call, announced once, named after the first channel. */
static void
test_legs_one_call (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1001");
  GListModel *model = kc_call_tracker_get_calls (tracker);

  apply (tracker,
         snapshot (row ("1735732797.42", "+998901234567", "1001", "0", -1, 3),
                   row ("1735732798.43", "+998901234567", "1001", "0", -1, 2), NULL),
         NOW);
  assert_events (&rec, "incoming 1735732797.42 kelyapti");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);

  /* Answered: both channels up; the order of rows says nothing */
  apply (tracker,
         snapshot (row ("1735732798.43", "+998901234567", "1001", "1", -1, 6),
                   row ("1735732797.42", "+998901234567", "1001", "1", -1, 7), NULL),
         NOW + 4);
  assert_events (&rec, "state 1735732797.42 kelyapti->suhbatda");

  /* One channel hangs up before the other: still one call, still talking */
  apply (tracker, snapshot (row ("1735732798.43", "+998901234567", "1001", "1", -1, 8), NULL),
         NOW + 6);
  assert_events (&rec, "");
  apply (tracker, snapshot (NULL), NOW + 8);
  assert_events (&rec, "state 1735732797.42 suhbatda->yakunlandi");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_ptr_array_unref (rec.events);
}

/* The second channel turns up a poll later than the first */
static void
test_legs_late_leg (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);

  apply (tracker, snapshot (row ("1735732800.7", "1003", "+998971234567", "0", -1, 0), NULL),
         NOW);
  apply (tracker,
         snapshot (row ("1735732800.7", "1003", "+998971234567", "0", -1, 2),
                   row ("1735732801.8", "1003", "+998971234567", "0", -1, 1), NULL),
         NOW + 2);
  apply (tracker,
         snapshot (row ("1735732800.7", "1003", "+998971234567", "1", -1, 4),
                   row ("1735732801.8", "1003", "+998971234567", "1", -1, 3), NULL),
         NOW + 4);
  apply (tracker, snapshot (NULL), NOW + 6);
  assert_events (&rec, "outgoing 1735732800.7 kelyapti|state 1735732800.7 kelyapti->suhbatda|"
                       "state 1735732800.7 suhbatda->yakunlandi");
  g_ptr_array_unref (rec.events);
}

/* Legs without ids, as firmware that leaves ID out would list them */
static void
test_legs_without_ids (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);
  g_autofree char *key = g_strdup_printf ("%d-+998901234567-1001", NOW - 5);
  g_autofree char *expected = NULL;

  apply (tracker,
         snapshot (row (NULL, "+998901234567", "1001", "0", -1, 5),
                   row (NULL, "+998901234567", "1001", "0", -1, 4), NULL),
         NOW);
  apply (tracker,
         snapshot (row (NULL, "+998901234567", "1001", "1", -1, 7),
                   row (NULL, "+998901234567", "1001", "1", -1, 7), NULL),
         NOW + 2);
  apply (tracker, snapshot (NULL), NOW + 4);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->suhbatda|"
                              "state %s suhbatda->yakunlandi", key, key, key);
  assert_events (&rec, expected);
  g_ptr_array_unref (rec.events);
}

/* A caller gives up and calls again a few seconds later: two calls */
static void
test_redial_is_a_new_call (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1001");

  apply (tracker, snapshot (row ("1735732800.1", "+998901234567", "1001", "0", -1, 0), NULL), NOW);
  apply (tracker, snapshot (row ("1735732800.1", "+998901234567", "1001", "0", -1, 2), NULL),
         NOW + 2);
  apply (tracker, snapshot (row ("1735732804.5", "+998901234567", "1001", "0", -1, 0), NULL),
         NOW + 4);
  assert_events (&rec, "incoming 1735732800.1 kelyapti|incoming 1735732804.5 kelyapti|"
                       "state 1735732800.1 kelyapti->javobsiz");
  g_ptr_array_unref (rec.events);
}

/* A call to ring group 800 from outside, as real appliances list it: the
 * caller's channel, and one channel for each of 1001 and 1002 ringing */
static GPtrArray *
group_ringing (void)
{
  return snapshot (row ("1735732800.10", "+998901234567", "800", "0", -1, 1),
                   row ("1735732800.11", "+998901234567", "1001", "0", -1, 1),
                   row ("1735732800.12", "+998901234567", "1002", "0", -1, 1), NULL);
}

/* A call to ring group 800 rings 1001 and 1002; 1002 answers. The caller's
 * own channel (to 800) goes on. For the operator at 1001 the call ends,
 * taken by a colleague: not missed. */
static void
test_ring_group_answered_elsewhere (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1001");
  g_autoptr (KcCall) call = NULL;

  apply (tracker, group_ringing (), NOW);
  assert_events (&rec, "incoming 1735732800.10 kelyapti");
  call = g_list_model_get_item (kc_call_tracker_get_calls (tracker), 0);
  g_assert_cmpstr (kc_call_get_to_number (call), ==, "1001");
  g_assert_cmpstr (kc_call_get_extension (call), ==, "1001");

  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "800", "1", -1, 3),
                   row ("1735732800.12", "+998901234567", "1002", "1", -1, 3), NULL),
         NOW + 2);
  assert_events (&rec, "state 1735732800.10 kelyapti->yakunlandi by 1002");
  g_assert_cmpint (kc_call_get_answer_time (call), ==, 0);

  /* The colleague's conversation goes on and ends: nothing more for 1001 */
  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "800", "1", -1, 30),
                   row ("1735732800.12", "+998901234567", "1002", "1", -1, 30), NULL),
         NOW + 29);
  apply (tracker, snapshot (NULL), NOW + 31);
  assert_events (&rec, "");
  g_ptr_array_unref (rec.events);
}

/* The same call seen by the operator who took it */
static void
test_ring_group_answered_here (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1002");

  apply (tracker, group_ringing (), NOW);
  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "800", "1", -1, 3),
                   row ("1735732800.12", "+998901234567", "1002", "1", -1, 3), NULL),
         NOW + 2);
  apply (tracker, snapshot (NULL), NOW + 20);
  assert_events (&rec, "incoming 1735732800.10 kelyapti|state 1735732800.10 kelyapti->suhbatda|"
                       "state 1735732800.10 suhbatda->yakunlandi");
  g_ptr_array_unref (rec.events);
}

/* Nobody in the group answers: missed, once, for every operator it rang */
static void
test_ring_group_nobody (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1001");

  apply (tracker, group_ringing (), NOW);
  apply (tracker, snapshot (NULL), NOW + 15);
  assert_events (&rec, "incoming 1735732800.10 kelyapti|state 1735732800.10 kelyapti->javobsiz");
  g_ptr_array_unref (rec.events);
}

/* A queue rings its agents in turn: 1001's phone stops, 1002's starts. The
 * caller still waits; for 1001 the call is neither over nor missed until
 * someone answers (then taken elsewhere) or the caller gives up. 1002's
 * channel starts long after the caller's, so nothing ties it to this call
 * (two calls from one company's number at once look the same): the call
 * was taken at the queue, as far as 1001 can tell. */
static void
test_queue_moves_on (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1001");

  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "700", "0", -1, 1),
                   row ("1735732800.11", "+998901234567", "1001", "0", -1, 1), NULL),
         NOW);
  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "700", "0", -1, 16),
                   row ("1735732815.13", "+998901234567", "1002", "0", -1, 1), NULL),
         NOW + 15);
  assert_events (&rec, "incoming 1735732800.10 kelyapti");
  g_assert_cmpuint (g_list_model_get_n_items (kc_call_tracker_get_calls (tracker)), ==, 1);
  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "700", "1", -1, 18),
                   row ("1735732815.13", "+998901234567", "1002", "1", -1, 3), NULL),
         NOW + 17);
  assert_events (&rec, "state 1735732800.10 kelyapti->yakunlandi by 700");
  g_ptr_array_unref (rec.events);
}

/* Without an extension a call to a group is one call to the group, and says
 * where it was answered */
static void
test_ring_group_without_extension (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, NULL);

  apply (tracker, group_ringing (), NOW);
  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "800", "1", -1, 3),
                   row ("1735732800.12", "+998901234567", "1002", "1", -1, 3), NULL),
         NOW + 2);
  apply (tracker, snapshot (NULL), NOW + 20);
  assert_events (&rec, "incoming 1735732800.10 kelyapti|"
                       "state 1735732800.10 kelyapti->suhbatda by 1002|"
                       "state 1735732800.10 suhbatda->yakunlandi by 1002");
  g_ptr_array_unref (rec.events);
}

/* The operator hands a call over: their channel goes, the caller's stays */
static void
test_handed_over (void)
{
  Recorder rec;
  g_autoptr (KcCallTracker) tracker = make_tracker (&rec, "1001");

  apply (tracker,
         snapshot (row ("1735732800.10", "+998901234567", "1001", "1", -1, 10),
                   row ("1735732800.11", "+998901234567", "1001", "1", -1, 10), NULL),
         NOW);
  apply (tracker, snapshot (row ("1735732800.10", "+998901234567", "1003", "1", -1, 12), NULL),
         NOW + 2);
  assert_events (&rec, "incoming 1735732800.10 suhbatda|state 1735732800.10 suhbatda->yakunlandi");
  g_ptr_array_unref (rec.events);
}

/* --- What a CDR says of a call that seemed missed */

static KcCdr *
cdr (const char *from,
     const char *to,
     gint64      timestamp,
     int         status,
     gint64      duration,
     gint64      answered)
{
  KcCdr *record = g_new0 (KcCdr, 1);

  record->id = g_strdup_printf ("cdr-%s-%s", from, to);
  record->from_number = g_strdup (from);
  record->to_number = g_strdup (to);
  record->timestamp = timestamp;
  record->status = status;
  record->call_duration = duration;
  record->answered_duration = answered;
  return record;
}

static KcCdrVerdict
judge (KcCall  *call,
       char   **answered_by,
       gint64  *answer_time,
       ...)
{
  g_autoptr (GPtrArray) cdrs = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_cdr_free);
  va_list args;

  va_start (args, answer_time);
  for (KcCdr *record = va_arg (args, KcCdr *); record; record = va_arg (args, KcCdr *))
    g_ptr_array_add (cdrs, record);
  va_end (args);
  return kc_cdr_check_judge (call, cdrs, answered_by, answer_time);
}

static void
test_cdr_judge (void)
{
  g_autoptr (KcCall) incoming = kc_call_new ("c", "+998901234567", NULL, "1001", NULL,
                                             KC_DIRECTION_INCOMING, NOW);
  g_autoptr (KcCall) outgoing = kc_call_new ("o", "1001", NULL, "+998971234567", NULL,
                                             KC_DIRECTION_OUTGOING, NOW);
  char *by = NULL;
  gint64 when = 0;

  /* Nothing in the window yet, or only other callers' */
  g_assert_cmpint (judge (incoming, &by, &when, NULL), ==, KC_CDR_VERDICT_NONE);
  g_assert_cmpint (judge (incoming, &by, &when,
                          cdr ("+998935556677", "1001", NOW, 4, 10, 5), NULL),
                   ==, KC_CDR_VERDICT_NONE);
  /* Too far from the call's start to be it */
  g_assert_cmpint (judge (incoming, &by, &when,
                          cdr ("+998901234567", "1001", NOW + KC_CDR_CHECK_SLACK + 1, 4, 10, 5),
                          NULL),
                   ==, KC_CDR_VERDICT_NONE);
  /* Answered here: the start and talk give the answer time */
  g_assert_cmpint (judge (incoming, &by, &when,
                          cdr ("+998901234567", "1001", NOW + 1, 4, 10, 7), NULL),
                   ==, KC_CDR_VERDICT_ANSWERED);
  g_assert_null (by);
  g_assert_cmpint (when, ==, NOW + 4);
  /* Answered at another extension of the group */
  g_assert_cmpint (judge (incoming, &by, &when,
                          cdr ("+998901234567", "1002", NOW, 4, 10, 5), NULL),
                   ==, KC_CDR_VERDICT_ANSWERED);
  g_assert_cmpstr (by, ==, "1002");
  g_clear_pointer (&by, g_free);
  /* The PBX agrees it was missed: no answer, voicemail, busy */
  for (int status = 1; status <= 6; status++)
    if (status != 4)
      {
        g_assert_cmpint (judge (incoming, &by, &when,
                                cdr ("+998901234567", "800", NOW, status, 10, 0), NULL),
                         ==, KC_CDR_VERDICT_MISSED);
        g_assert_null (by);
      }
  /* An outgoing call is to one number only */
  g_assert_cmpint (judge (outgoing, &by, &when,
                          cdr ("1001", "+998935556677", NOW, 4, 10, 5), NULL),
                   ==, KC_CDR_VERDICT_NONE);
  g_assert_cmpint (judge (outgoing, &by, &when,
                          cdr ("1001", "+998971234567", NOW, 4, 10, 5), NULL),
                   ==, KC_CDR_VERDICT_ANSWERED);
  g_assert_null (by);
}

/* --- The poll loop against the simulator ---------------------------------- */

static guint n_poll_failure_logs;

static void
count_failure_logs (const char     *domain,
                    GLogLevelFlags  level,
                    const char     *message,
                    gpointer        user_data)
{
  if (strstr (message, "Polling Kerio Operator failed"))
    n_poll_failure_logs++;
}

typedef struct
{
  KcSimServer   *sim;
  KcKerioClient *client;
  KcCallTracker *tracker;
  Recorder       rec;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GUri) uri = NULL;

  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  url = kc_sim_server_get_endpoint_url (f->sim);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  f->client = kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  kc_kerio_client_set_timeout (f->client, 1);
  f->tracker = kc_call_tracker_new (f->client, 0.05, NULL, 4);
  f->rec.events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  g_signal_connect (f->tracker, "outgoing-call", G_CALLBACK (on_outgoing), &f->rec);
  g_signal_connect (f->tracker, "call-state-changed", G_CALLBACK (on_state), &f->rec);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  kc_call_tracker_stop (f->tracker);
  g_clear_object (&f->tracker);
  g_clear_object (&f->client);
  g_clear_object (&f->sim);
  g_ptr_array_unref (f->rec.events);
}

static void
test_poll_lifecycle (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;

  kc_call_tracker_start (f->tracker);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_connection_state (f->tracker) == KC_CONNECTION_CONNECTED,
                      10);

  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", "Aziz Karimov", "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);
  kc_sim_server_answer_call (f->sim, id);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 10);
  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 10);

  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->suhbatda|"
                              "state %s suhbatda->yakunlandi",
                              id, id, id);
  assert_events (&f->rec, expected);
}

/* A PBX that fails for a while ends no call, announces none twice, logs the
 * failure once, and backs off instead of hammering the server. */
static void
test_poll_survives_failures (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *id = NULL;
  guint polls_before;
  guint polls_during;
  g_autofree char *expected = NULL;

  kc_call_tracker_start (f->tracker);
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998935556677", NULL, "1004", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);

  n_poll_failure_logs = 0;
  g_log_set_handler ("kc-call-tracker", G_LOG_LEVEL_MESSAGE, count_failure_logs, NULL);
  polls_before = kc_sim_server_get_request_count (f->sim, "Status.getCalls");
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_HTTP_500, 1000);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_connection_state (f->tracker) == KC_CONNECTION_ERROR, 10);
  g_assert_nonnull (kc_call_tracker_get_last_error (f->tracker));

  /* 3.5 s of failures at a 50 ms interval: without backoff ~70 polls; with
   * 50 ms doubling, at most eight or so. */
  kc_test_run_for (3.5);
  polls_during = kc_sim_server_get_request_count (f->sim, "Status.getCalls") - polls_before;
  g_assert_cmpuint (polls_during, >=, 3);
  g_assert_cmpuint (polls_during, <=, 9);
  g_assert_cmpuint (n_poll_failure_logs, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (kc_call_tracker_get_calls (f->tracker)), ==, 1);

  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_NONE, 0);
  kc_sim_server_answer_call (f->sim, id);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_connection_state (f->tracker) == KC_CONNECTION_CONNECTED,
                      10);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 10);
  g_assert_null (kc_call_tracker_get_last_error (f->tracker));

  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->suhbatda", id, id);
  assert_events (&f->rec, expected);
  g_log_set_handler ("kc-call-tracker", G_LOG_LEVEL_MESSAGE, g_log_default_handler, NULL);
}

static void
count_errors (KcCallTracker *tracker,
              GParamSpec    *pspec,
              guint         *n_errors)
{
  if (kc_call_tracker_get_connection_state (tracker) == KC_CONNECTION_ERROR)
    (*n_errors)++;
}

/* One lost answer is no outage: the poll is tried again at once, so the
 * ringing call pops up without waiting for the next poll (half a minute
 * away here), and the operator sees no connection error. */
static void
test_poll_single_failure (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;
  guint n_errors = 0;

  g_clear_object (&f->tracker);
  f->tracker = kc_call_tracker_new (f->client, 30, NULL, 4);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  g_signal_connect (f->tracker, "notify::connection-state", G_CALLBACK (count_errors), &n_errors);

  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_DROP, 1);
  kc_call_tracker_start (f->tracker);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);

  expected = g_strdup_printf ("incoming %s kelyapti", id);
  assert_events (&f->rec, expected);
  g_assert_cmpuint (kc_sim_server_get_fault_count (f->sim, KC_SIM_FAULT_DROP), ==, 1);
  g_assert_cmpuint (n_errors, ==, 0);
  g_assert_cmpint (kc_call_tracker_get_connection_state (f->tracker), ==,
                   KC_CONNECTION_CONNECTED);
}

/* The PBX reboots: the tracker reports the outage, backs off while nothing
 * answers, notices the PBX's return within a few seconds, ends the call the
 * reboot cut off, and pops up the next one. */
static void
test_poll_pbx_restart (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *cut = NULL;
  g_autofree char *next = NULL;
  g_autofree char *expected = NULL;

  kc_call_tracker_start (f->tracker);
  cut = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);

  g_log_set_handler ("kc-call-tracker", G_LOG_LEVEL_MESSAGE, count_failure_logs, NULL);
  kc_sim_server_restart (f->sim, 4);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_connection_state (f->tracker) == KC_CONNECTION_ERROR, 10);
  KC_TEST_WAIT_UNTIL (!kc_sim_server_is_down (f->sim), 10);
  /* Back-off is capped, so the return is seen within the cap and a login */
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_connection_state (f->tracker) == KC_CONNECTION_CONNECTED,
                      KC_TRACKER_BACKOFF_MAX + 3);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 10);

  next = g_strdup (kc_sim_server_add_call (f->sim, "+998935556677", NULL, "1002", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 10);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->javobsiz|"
                              "incoming %s kelyapti",
                              cut, cut, next);
  assert_events (&f->rec, expected);
  g_log_set_handler ("kc-call-tracker", G_LOG_LEVEL_MESSAGE, g_log_default_handler, NULL);
}

/* A call answered and hung up between two polls looks missed; its CDR says
 * otherwise, and the tracker takes the missed call back. */
static void
test_poll_cdr_corrects_missed (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;

  kc_call_tracker_start (f->tracker);
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);
  /* Both in one go: no poll can see it talking */
  kc_sim_server_answer_call (f->sim, id);
  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 10);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->javobsiz|"
                              "state %s javobsiz->yakunlandi corrected",
                              id, id, id);
  assert_events (&f->rec, expected);
}

/* A call nobody answered stays missed: its CDR agrees, and the PBX is asked
 * once, not for a whole minute. */
static void
test_poll_cdr_confirms_missed (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;
  guint before;

  kc_call_tracker_set_cdr_check_timing (f->tracker, 0.1, 60);
  kc_call_tracker_start (f->tracker);
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);
  before = kc_sim_server_get_request_count (f->sim, "CallHistory.get");
  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 10);
  kc_test_run_for (1.0);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->javobsiz", id, id);
  assert_events (&f->rec, expected);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get") - before, ==, 1);
}

/* The PBX writes the CDR a while after the call ended: asked again until it
 * comes, then corrected */
static void
test_poll_cdr_comes_late (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;
  guint before;

  kc_sim_server_set_cdr_delay (f->sim, 1.0);
  kc_call_tracker_set_cdr_check_timing (f->tracker, 0.2, 10);
  kc_call_tracker_start (f->tracker);
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);
  before = kc_sim_server_get_request_count (f->sim, "CallHistory.get");
  kc_sim_server_answer_call (f->sim, id);
  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 10);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->javobsiz|"
                              "state %s javobsiz->yakunlandi corrected",
                              id, id, id);
  assert_events (&f->rec, expected);
  /* At once, then after 0.2, 0.4 s...: a few asks, not one a poll */
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get") - before, >=, 2);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get") - before, <=, 5);
}

/* No CDR within the time allowed: the call stays missed, and the PBX is
 * asked no more */
static void
test_poll_cdr_never_comes (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;
  guint asked;

  kc_sim_server_set_cdr_delay (f->sim, 30);
  kc_call_tracker_set_cdr_check_timing (f->tracker, 0.1, 0.5);
  kc_call_tracker_start (f->tracker);
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);
  kc_sim_server_answer_call (f->sim, id);
  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 10);
  kc_test_run_for (1.5);
  asked = kc_sim_server_get_request_count (f->sim, "CallHistory.get");
  kc_test_run_for (1.0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), ==, asked);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->javobsiz", id, id);
  assert_events (&f->rec, expected);
}

/* The operator at 1001 over HTTP, in either dialect: an incoming call and
 * an outgoing one from ringing to their end, once each however many rows
 * the PBX lists; a ring group call a colleague takes; someone else's call */
static void
test_poll_operator (Fixture       *f,
                    gconstpointer  data)
{
  const char *const group[] = { "1002", "1001", "1003", NULL };
  g_autofree char *in = NULL;
  g_autofree char *out = NULL;
  g_autofree char *grouped = NULL;
  g_autofree char *expected = NULL;

  kc_sim_server_set_dialect (f->sim, GPOINTER_TO_INT (data));
  g_clear_object (&f->tracker);
  f->tracker = kc_call_tracker_new (f->client, 0.05, "1001", 4);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  g_signal_connect (f->tracker, "outgoing-call", G_CALLBACK (on_outgoing), &f->rec);
  g_signal_connect (f->tracker, "call-state-changed", G_CALLBACK (on_state), &f->rec);
  kc_call_tracker_start (f->tracker);

  in = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  kc_sim_server_add_call (f->sim, "+998935556677", NULL, "1004", NULL);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 10);
  /* Both legs listed for a while before the answer */
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (f->sim, in);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 10);
  kc_test_run_for (0.3);
  kc_sim_server_end_call (f->sim, in, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 10);

  out = g_strdup (kc_sim_server_add_call (f->sim, "1001", NULL, "+998977654321", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 4, 10);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (f->sim, out);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 5, 10);
  kc_sim_server_end_call (f->sim, out, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 6, 10);

  grouped = g_strdup (kc_sim_server_add_group_call (f->sim, "+998944440000", NULL, "800", group));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 7, 10);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call_at (f->sim, grouped, "1003");
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 8, 10);
  kc_test_run_for (0.3);
  kc_sim_server_end_call (f->sim, grouped, KC_SIM_CDR_NO_ANSWER);
  kc_test_run_for (0.5);

  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->suhbatda|"
                              "state %s suhbatda->yakunlandi|"
                              "outgoing %s kelyapti|state %s kelyapti->suhbatda|"
                              "state %s suhbatda->yakunlandi|"
                              "incoming %s kelyapti|state %s kelyapti->yakunlandi by 1003",
                              in, in, in, out, out, out, grouped, grouped);
  assert_events (&f->rec, expected);
}

/* --- Live calls from AMI ------------------------------------------------- */

typedef struct
{
  KcSimServer   *sim;
  KcKerioClient *client;
  KcAmiClient   *ami;
  KcCallTracker *tracker;
  Recorder       rec;
} AmiFixture;

static void
ami_fixture_set_up (AmiFixture    *f,
                    gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GUri) uri = NULL;

  f->sim = kc_sim_server_new ();
  kc_sim_server_set_ami_version (f->sim, GPOINTER_TO_INT (data));
  g_assert_true (kc_sim_server_listen (f->sim, 0, NULL, &error));
  g_assert_true (kc_sim_server_listen_ami (f->sim, 0, &error));
  g_assert_no_error (error);
  url = kc_sim_server_get_endpoint_url (f->sim);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  f->client = kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  kc_kerio_client_set_timeout (f->client, 2);
  f->ami = kc_ami_client_new ("127.0.0.1", kc_sim_server_get_ami_port (f->sim),
                              KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  /* A poll every 30 s: whatever shows up within a second came from AMI */
  f->tracker = kc_call_tracker_new (f->client, 30, "1001", 4);
  kc_call_tracker_set_ami (f->tracker, f->ami);
  f->rec.events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  g_signal_connect (f->tracker, "outgoing-call", G_CALLBACK (on_outgoing), &f->rec);
  g_signal_connect (f->tracker, "call-state-changed", G_CALLBACK (on_state), &f->rec);
}

static void
ami_fixture_tear_down (AmiFixture    *f,
                       gconstpointer  data)
{
  kc_call_tracker_stop (f->tracker);
  kc_ami_client_stop (f->ami);
  g_clear_object (&f->tracker);
  g_clear_object (&f->ami);
  g_clear_object (&f->client);
  g_clear_object (&f->sim);
  g_ptr_array_unref (f->rec.events);
}

static void
ami_start (AmiFixture *f)
{
  kc_call_tracker_start (f->tracker);
  kc_ami_client_start (f->ami);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_live_source (f->tracker) == KC_LIVE_SOURCE_AMI, 10);
  /* The poll that follows AMI coming up, which may come after the first */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") >= 1, 10);
  kc_test_run_for (0.5);
}

/* The operator at 1001 with AMI: every change the moment it happens, the
 * same events as polling gives (one call per call, ring groups), while
 * Status.getCalls is left alone */
static void
test_ami_operator (AmiFixture    *f,
                   gconstpointer  data)
{
  const char *const group[] = { "1002", "1001", NULL };
  g_autofree char *in = NULL;
  g_autofree char *out = NULL;
  g_autofree char *grouped = NULL;
  g_autofree char *missed = NULL;
  g_autofree char *expected = NULL;
  guint polls;

  ami_start (f);
  polls = kc_sim_server_get_request_count (f->sim, "Status.getCalls");

  in = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  kc_sim_server_add_call (f->sim, "+998935556677", NULL, "1004", NULL);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 5);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (f->sim, in);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 5);
  kc_sim_server_end_call (f->sim, in, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 5);

  out = g_strdup (kc_sim_server_add_call (f->sim, "1001", NULL, "+998977654321", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 4, 5);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (f->sim, out);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 5, 5);
  kc_sim_server_end_call (f->sim, out, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 6, 5);

  grouped = g_strdup (kc_sim_server_add_group_call (f->sim, "+998944440000", NULL, "800", group));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 7, 5);
  kc_test_run_for (0.3);
  kc_sim_server_answer_call_at (f->sim, grouped, "1002");
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 8, 5);
  kc_sim_server_end_call (f->sim, grouped, KC_SIM_CDR_NO_ANSWER);

  missed = g_strdup (kc_sim_server_add_call (f->sim, "+998911112233", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 9, 5);
  kc_test_run_for (0.6);
  kc_sim_server_end_call (f->sim, missed, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 10, 5);
  kc_test_run_for (0.3);

  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->suhbatda|"
                              "state %s suhbatda->yakunlandi|"
                              "outgoing %s kelyapti|state %s kelyapti->suhbatda|"
                              "state %s suhbatda->yakunlandi|"
                              "incoming %s kelyapti|state %s kelyapti->yakunlandi by 1002|"
                              "incoming %s kelyapti|state %s kelyapti->javobsiz",
                              in, in, in, out, out, out, grouped, grouped, missed, missed);
  assert_events (&f->rec, expected);
  /* Nothing of that needed a poll */
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls"), ==, polls);
}

/* AMI drops in the middle of a call: polling takes over at once, the call
 * goes on without popping up again and ends as it does; when AMI is back,
 * it takes over again, the poll slows down, and still no call is told of
 * twice */
static void
test_ami_drop_and_back (AmiFixture    *f,
                        gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *expected = NULL;
  guint polls;

  g_clear_object (&f->tracker);
  f->tracker = kc_call_tracker_new (f->client, 0.2, "1001", 4);
  kc_call_tracker_set_reconcile_interval (f->tracker, 30);
  kc_call_tracker_set_ami (f->tracker, f->ami);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  g_signal_connect (f->tracker, "call-state-changed", G_CALLBACK (on_state), &f->rec);
  ami_start (f);

  first = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 5);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (f->sim, first);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 5);

  /* The network drops AMI (and the sim refuses it for a while) */
  kc_sim_server_set_ami_refuse (f->sim, TRUE);
  kc_sim_server_drop_ami (f->sim);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_live_source (f->tracker) == KC_LIVE_SOURCE_POLLING, 5);
  polls = kc_sim_server_get_request_count (f->sim, "Status.getCalls");
  kc_test_run_for (1.0);
  /* Polling at its own pace, and the call is still the same one */
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls") - polls, >=, 3);
  g_assert_cmpuint (f->rec.events->len, ==, 2);

  /* A call rings while AMI is down: polling finds it */
  second = g_strdup (kc_sim_server_add_call (f->sim, "+998935556677", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 5);

  /* AMI is back; the two calls go on, then end */
  kc_sim_server_set_ami_refuse (f->sim, FALSE);
  kc_ami_client_set_credentials (f->ami, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_live_source (f->tracker) == KC_LIVE_SOURCE_AMI, 40);
  kc_test_run_for (0.5);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->suhbatda|"
                              "incoming %s kelyapti",
                              first, first, second);
  assert_events (&f->rec, expected);
  g_clear_pointer (&expected, g_free);
  kc_sim_server_end_call (f->sim, first, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 5);
  kc_sim_server_answer_call (f->sim, second);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 5);

  expected = g_strdup_printf ("state %s suhbatda->yakunlandi|state %s kelyapti->suhbatda",
                              first, second);
  assert_events (&f->rec, expected);
}

/* A refused AMI login is said once and leaves polling as it was */
static void
test_ami_refused (AmiFixture    *f,
                  gconstpointer  data)
{
  g_autofree char *id = NULL;

  kc_sim_server_set_ami_refuse (f->sim, TRUE);
  g_clear_object (&f->tracker);
  f->tracker = kc_call_tracker_new (f->client, 0.2, "1001", 4);
  kc_call_tracker_set_ami (f->tracker, f->ami);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  kc_call_tracker_start (f->tracker);
  kc_ami_client_start (f->ami);
  KC_TEST_WAIT_UNTIL (kc_ami_client_get_state (f->ami) == KC_AMI_STATE_REFUSED, 5);
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 5);
  kc_test_run_for (2.0);
  g_assert_cmpint (kc_call_tracker_get_live_source (f->tracker), ==, KC_LIVE_SOURCE_POLLING);
  /* Tried once, not again and again */
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_login_count (f->sim), ==, 0);
}

/* A Hangup AMI never delivered: the cross-checking poll ends the call */
static void
test_ami_lost_hangup (AmiFixture    *f,
                      gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;

  g_clear_object (&f->tracker);
  f->tracker = kc_call_tracker_new (f->client, 0.2, "1001", 4);
  kc_call_tracker_set_reconcile_interval (f->tracker, 0.5);
  kc_call_tracker_set_ami (f->tracker, f->ami);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  g_signal_connect (f->tracker, "call-state-changed", G_CALLBACK (on_state), &f->rec);
  ami_start (f);
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 5);
  kc_test_run_for (0.6);
  /* Events stop flowing (the sim keeps the session but says nothing) */
  kc_sim_server_set_ami_hang (f->sim, TRUE);
  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 5);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->javobsiz", id, id);
  assert_events (&f->rec, expected);
}

/* The PBX reboots while AMI is live: Asterisk sends the Hangups of the
 * calls it cuts off, then closes. A call that ended before, but that the
 * last cross-checking poll still listed, must not come back from that poll
 * when the Hangups are worked out after the close: AMI's word on it is gone
 * with the connection, the poll's is stale. */
static void
test_ami_pbx_restart (AmiFixture    *f,
                      gconstpointer  data)
{
  g_autofree char *ended = NULL;
  g_autofree char *cut = NULL;
  g_autofree char *expected = NULL;
  guint polls;

  g_clear_object (&f->tracker);
  f->tracker = kc_call_tracker_new (f->client, 0.2, "1001", 4);
  kc_call_tracker_set_reconcile_interval (f->tracker, 30);
  kc_call_tracker_set_ami (f->tracker, f->ami);
  g_signal_connect (f->tracker, "incoming-call", G_CALLBACK (on_incoming), &f->rec);
  g_signal_connect (f->tracker, "call-state-changed", G_CALLBACK (on_state), &f->rec);

  /* A call under way when AMI comes up: the poll that follows lists it */
  kc_call_tracker_start (f->tracker);
  ended = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 5);
  polls = kc_sim_server_get_request_count (f->sim, "Status.getCalls");
  kc_ami_client_start (f->ami);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_live_source (f->tracker) == KC_LIVE_SOURCE_AMI, 10);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") > polls, 10);
  kc_test_run_for (0.5);

  /* It ends, as AMI tells; another rings */
  kc_sim_server_end_call (f->sim, ended, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 2, 5);
  cut = g_strdup (kc_sim_server_add_call (f->sim, "+998935556677", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 3, 5);

  kc_sim_server_restart (f->sim, 1);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_live_source (f->tracker) == KC_LIVE_SOURCE_POLLING, 5);
  polls = kc_sim_server_get_request_count (f->sim, "Status.getCalls");
  /* Polls answered again, or AMI back and its poll answered */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") > polls + 1, 10);
  kc_test_run_for (0.5);
  expected = g_strdup_printf ("incoming %s kelyapti|state %s kelyapti->javobsiz|"
                              "incoming %s kelyapti|state %s kelyapti->javobsiz",
                              ended, ended, cut, cut);
  assert_events (&f->rec, expected);
}

/* A call that rings as AMI comes up: its caller's channel was created
 * before the login, its callee's after. The call is still named after the
 * caller's channel, as its CDR is (and as polls name it), though the
 * callee's events come before the poll that tells of the caller's. */
static void
test_ami_call_across_login (AmiFixture    *f,
                            gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;
  guint polls;

  kc_call_tracker_start (f->tracker);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") >= 1, 10);
  kc_test_run_for (0.2);
  polls = kc_sim_server_get_request_count (f->sim, "Status.getCalls");

  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  /* The poll that follows the login is answered after the callee's
   * channel, 400 ms after the caller's, has been told of */
  kc_sim_server_set_slow_delay (f->sim, 1.0);
  kc_sim_server_inject_fault (f->sim, KC_SIM_FAULT_SLOW, 1);
  kc_ami_client_start (f->ami);
  KC_TEST_WAIT_UNTIL (kc_call_tracker_get_live_source (f->tracker) == KC_LIVE_SOURCE_AMI, 10);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") > polls, 10);
  KC_TEST_WAIT_UNTIL (f->rec.events->len == 1, 5);
  expected = g_strdup_printf ("incoming %s kelyapti", id);
  assert_events (&f->rec, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tracker/incoming-answered-finished", test_incoming_answered_finished);
  g_test_add_func ("/tracker/missed", test_missed);
  g_test_add_func ("/tracker/outgoing", test_outgoing);
  g_test_add_func ("/tracker/connected-forms", test_connected_forms);
  g_test_add_func ("/tracker/first-seen-connected", test_first_seen_connected);
  g_test_add_func ("/tracker/extension-filter", test_extension_filter);
  g_test_add_func ("/tracker/derived-identity", test_derived_identity);
  g_test_add_func ("/tracker/duplicate-rows", test_duplicate_rows);
  g_test_add_func ("/tracker/unknown-status", test_unknown_status);
  g_test_add_func ("/tracker/legs/one-call", test_legs_one_call);
  g_test_add_func ("/tracker/legs/late-leg", test_legs_late_leg);
  g_test_add_func ("/tracker/legs/without-ids", test_legs_without_ids);
  g_test_add_func ("/tracker/redial-is-a-new-call", test_redial_is_a_new_call);
  g_test_add_func ("/tracker/ring-group/answered-elsewhere", test_ring_group_answered_elsewhere);
  g_test_add_func ("/tracker/ring-group/answered-here", test_ring_group_answered_here);
  g_test_add_func ("/tracker/ring-group/nobody", test_ring_group_nobody);
  g_test_add_func ("/tracker/ring-group/queue-moves-on", test_queue_moves_on);
  g_test_add_func ("/tracker/ring-group/without-extension", test_ring_group_without_extension);
  g_test_add_func ("/tracker/handed-over", test_handed_over);
  g_test_add_func ("/tracker/cdr-judge", test_cdr_judge);
  g_test_add ("/tracker/poll/lifecycle", Fixture, NULL, fixture_set_up, test_poll_lifecycle,
              fixture_tear_down);
  g_test_add ("/tracker/poll/survives-failures", Fixture, NULL, fixture_set_up,
              test_poll_survives_failures, fixture_tear_down);
  g_test_add ("/tracker/poll/single-failure", Fixture, NULL, fixture_set_up,
              test_poll_single_failure, fixture_tear_down);
  g_test_add ("/tracker/poll/pbx-restart", Fixture, NULL, fixture_set_up, test_poll_pbx_restart,
              fixture_tear_down);
  g_test_add ("/tracker/poll/operator/field", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_FIELD),
              fixture_set_up, test_poll_operator, fixture_tear_down);
  g_test_add ("/tracker/poll/operator/sdk", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_SDK),
              fixture_set_up, test_poll_operator, fixture_tear_down);
  g_test_add ("/tracker/poll/cdr-corrects-missed", Fixture, NULL, fixture_set_up,
              test_poll_cdr_corrects_missed, fixture_tear_down);
  g_test_add ("/tracker/poll/cdr-confirms-missed", Fixture, NULL, fixture_set_up,
              test_poll_cdr_confirms_missed, fixture_tear_down);
  g_test_add ("/tracker/poll/cdr-comes-late", Fixture, NULL, fixture_set_up,
              test_poll_cdr_comes_late, fixture_tear_down);
  g_test_add ("/tracker/poll/cdr-never-comes", Fixture, NULL, fixture_set_up,
              test_poll_cdr_never_comes, fixture_tear_down);

  for (guint i = 0; i < 3; i++)
    {
      static const struct
      {
        const char  *name;
        KcSimAmiVersion version;
      } families[] = {
        { "1.8", KC_SIM_AMI_1_8 },
        { "11", KC_SIM_AMI_11 },
        { "18", KC_SIM_AMI_18 },
      };
      g_autofree char *path = g_strdup_printf ("/tracker/ami/%s/operator", families[i].name);
      g_autofree char *across = g_strdup_printf ("/tracker/ami/%s/call-across-login",
                                                 families[i].name);

      g_test_add (path, AmiFixture, GINT_TO_POINTER (families[i].version), ami_fixture_set_up,
                  test_ami_operator, ami_fixture_tear_down);
      g_test_add (across, AmiFixture, GINT_TO_POINTER (families[i].version), ami_fixture_set_up,
                  test_ami_call_across_login, ami_fixture_tear_down);
    }
  g_test_add ("/tracker/ami/drop-and-back", AmiFixture, GINT_TO_POINTER (KC_SIM_AMI_18),
              ami_fixture_set_up, test_ami_drop_and_back, ami_fixture_tear_down);
  g_test_add ("/tracker/ami/refused", AmiFixture, GINT_TO_POINTER (KC_SIM_AMI_18),
              ami_fixture_set_up, test_ami_refused, ami_fixture_tear_down);
  g_test_add ("/tracker/ami/lost-hangup", AmiFixture, GINT_TO_POINTER (KC_SIM_AMI_11),
              ami_fixture_set_up, test_ami_lost_hangup, ami_fixture_tear_down);
  g_test_add ("/tracker/ami/pbx-restart", AmiFixture, GINT_TO_POINTER (KC_SIM_AMI_11),
              ami_fixture_set_up, test_ami_pbx_restart, ami_fixture_tear_down);


  return g_test_run ();
}
