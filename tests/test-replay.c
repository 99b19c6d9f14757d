/* test-replay.c: what a PBX answered, served back
 *
 * `kerio-cti --headless --capture` records a session against the simulator;
 * the simulator then serves that capture back (`kerio-sim --replay`, here
 * in process), and a fresh `kerio-cti --headless` must tell the same calls
 * the same way. The captures shipped in tests/data, one per dialect and
 * anonymized as a user would send theirs, must keep giving the events
 * recorded with them: they are what a real appliance's capture becomes,
 * a regression test.
 *
 * KC_TEST_RECORD=1 writes those files anew from a fresh session (into the
 * source tree's tests/data).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "kc-test-headless.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

#define OPERATOR "1001"

typedef struct
{
  char *home;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->home = kc_test_make_tmpdir ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  kc_test_rm_rf (f->home);
  g_free (f->home);
}

/* An event line without its startTime: a replay runs later, and a live
 * call's start is now − CALL_DURATION */
static char *
normalize (const char *line)
{
  g_autoptr (JsonNode) root = json_from_string (line, NULL);
  JsonObject *data;

  g_assert_nonnull (root);
  data = json_object_get_object_member (json_node_get_object (root), "data");
  json_object_remove_member (data, "startTime");
  return json_to_string (root, FALSE);
}

static GPtrArray *
call_events (KcTestProc *proc)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < proc->out->len; i++)
    g_ptr_array_add (events, normalize (g_ptr_array_index (proc->out, i)));
  return events;
}

static char *
joined (GPtrArray *events)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    g_string_append_printf (text, "%s\n", (char *) g_ptr_array_index (events, i));
  return g_string_free (text, FALSE);
}

/* The session: a call answered and ended; a call to ring group 800 that
 * 1002 takes; a call answered and hung up between two polls, put right by
 * its CDR; a call nobody answers; someone else's call. Then a sync. */
static void
play_session (KcSimServer *sim,
              KcTestProc  *proc)
{
  const char *const group[] = { OPERATOR, "1002", NULL };
  g_autofree char *id = NULL;
  guint syncs;

  KC_TEST_WAIT_UNTIL (proc->syncs->len > 0, 20);

  id = g_strdup (kc_sim_server_add_call (sim, "+998901234567", NULL, OPERATOR, NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 1, 20);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (sim, id);
  KC_TEST_WAIT_UNTIL (proc->out->len == 2, 20);
  kc_test_run_for (0.5);
  kc_sim_server_end_call (sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 3, 20);
  g_clear_pointer (&id, g_free);

  id = g_strdup (kc_sim_server_add_group_call (sim, "+998935556677", NULL, "800", group));
  KC_TEST_WAIT_UNTIL (proc->out->len == 4, 20);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call_at (sim, id, "1002");
  KC_TEST_WAIT_UNTIL (proc->out->len == 5, 20);
  kc_test_run_for (0.5);
  kc_sim_server_end_call (sim, id, KC_SIM_CDR_NO_ANSWER);
  g_clear_pointer (&id, g_free);

  id = g_strdup (kc_sim_server_add_call (sim, "+998944440000", NULL, OPERATOR, NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 6, 20);
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (sim, id);
  kc_sim_server_end_call (sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 8, 20);
  g_clear_pointer (&id, g_free);

  kc_sim_server_end_call (sim, kc_sim_server_add_call (sim, "+998977777777", NULL, "1003", NULL),
                          KC_SIM_CDR_NO_ANSWER);
  id = g_strdup (kc_sim_server_add_call (sim, "+998911112233", NULL, OPERATOR, NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 9, 20);
  kc_test_run_for (0.6);
  kc_sim_server_end_call (sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 10, 20);

  /* The history's word on the last calls, and the missed call's check */
  syncs = proc->syncs->len;
  KC_TEST_WAIT_UNTIL (proc->syncs->len > syncs, 20);
  kc_test_run_for (1.0);
}

static KcTestProc *
spawn (Fixture           *f,
       const char        *home,
       KcSimServer       *sim,
       const char        *extension,
       const char *const *extra_args)
{
  g_autofree char *url = kc_sim_server_get_endpoint_url (sim);
  g_autofree char *env_extension = g_strdup_printf ("KERIO_EXTENSION=%s", extension);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();

  g_ptr_array_add (args, (gpointer) "--headless");
  for (const char *const *a = extra_args; a && *a; a++)
    g_ptr_array_add (args, (gpointer) *a);
  g_ptr_array_add (args, NULL);
  return kc_test_proc_spawn (home, url, (const char *const *) args->pdata,
                             (const char *const[]){ env_extension, "KERIO_SYNC_INTERVAL=0.05",
                                                    NULL });
}

/* The events kerio-cti tells of the capture at `path`, served back; it runs
 * until it has told `n_events` or a while longer than the session took */
static GPtrArray *
replay (Fixture    *f,
        const char *path,
        const char *extension,
        guint       n_events,
        double      seconds)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *home = g_build_filename (f->home, "replay", NULL);
  GPtrArray *events;
  KcTestProc *proc;

  g_assert_true (kc_sim_server_load_replay (sim, path, &error));
  g_assert_no_error (error);
  g_assert_true (kc_sim_server_listen (sim, 0, NULL, &error));
  proc = spawn (f, home, sim, extension, NULL);
  KC_TEST_WAIT_UNTIL (proc->out->len >= n_events, seconds);
  /* Anything more it would say comes within a second */
  kc_test_run_for (1.0);
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  events = call_events (proc);
  kc_test_proc_free (proc);
  kc_test_rm_rf (home);
  return events;
}

/* Records a session in `dialect` into `path`; its events in *events */
static void
record (Fixture      *f,
        KcSimDialect  dialect,
        const char   *path,
        gboolean      anonymize,
        GPtrArray   **events,
        double       *seconds)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *capture = g_strdup_printf ("--capture=%s", path);
  g_autofree char *home = g_build_filename (f->home, "capture", NULL);
  gint64 started = g_get_monotonic_time ();
  KcTestProc *proc;

  kc_sim_server_set_dialect (sim, dialect);
  g_assert_true (kc_sim_server_listen (sim, 0, NULL, &error));
  proc = spawn (f, home, sim, OPERATOR,
                (const char *const[]){ capture, anonymize ? "--capture-anonymize" : NULL, NULL });
  play_session (sim, proc);
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  *events = call_events (proc);
  *seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  kc_test_proc_free (proc);
  kc_test_rm_rf (home);
}

/* A session captured and served back: the same events, the same order */
static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->home, "capture.jsonl", NULL);
  g_autoptr (GPtrArray) live = NULL;
  g_autoptr (GPtrArray) replayed = NULL;
  g_autofree char *live_text = NULL;
  g_autofree char *replayed_text = NULL;
  double seconds;

  record (f, GPOINTER_TO_INT (data), path, FALSE, &live, &seconds);
  g_assert_cmpuint (live->len, ==, 10);
  replayed = replay (f, path, OPERATOR, live->len, seconds + 20);
  live_text = joined (live);
  replayed_text = joined (replayed);
  g_assert_cmpstr (replayed_text, ==, live_text);
}

static char *
data_path (const char *dialect,
           const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("capture-%s.%s", dialect, suffix);

  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

/* The operator's extension as the anonymized capture has it: the number
 * the first incoming call is to */
static char *
extension_of (GPtrArray *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      g_autoptr (JsonNode) root = json_from_string (g_ptr_array_index (events, i), NULL);
      JsonObject *o = json_node_get_object (root);

      if (g_strcmp0 (json_object_get_string_member (o, "event"), "incoming_call") == 0)
        return g_strdup (json_object_get_string_member (json_object_get_object_member (o, "data"),
                                                        "toNumber"));
    }
  g_assert_not_reached ();
}

/* The operator's extension in a capture: the first call of the session is
 * to it, so it is the number the first listed row is to */
static char *
extension_in_capture (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l && **l; l++)
    {
      g_autoptr (JsonNode) line = json_from_string (*l, NULL);
      JsonObject *o = json_node_get_object (line);
      g_autoptr (JsonNode) body = NULL;
      JsonArray *calls;

      if (g_strcmp0 (json_object_get_string_member (o, "method"), "Status.getCalls") != 0)
        continue;
      body = json_from_string (json_object_get_string_member (o, "response"), NULL);
      calls = json_object_get_array_member (
        json_object_get_object_member (json_node_get_object (body), "result"), "calls");
      if (json_array_get_length (calls) > 0)
        return g_strdup (json_object_get_string_member (
          json_object_get_object_member (json_array_get_object_element (calls, 0), "TO"),
          "NUMBER"));
    }
  g_assert_not_reached ();
}

/* The shipped capture of a dialect, served back: the events recorded with
 * it. KC_TEST_RECORD=1 records both anew. */
static void
test_shipped (Fixture       *f,
              gconstpointer  data)
{
  const char *dialect = data;
  g_autofree char *capture = data_path (dialect, "jsonl");
  g_autofree char *expected_path = data_path (dialect, "events");
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  g_autofree char *extension = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;

  if (g_getenv ("KC_TEST_RECORD") != NULL)
    {
      g_autoptr (GPtrArray) live = NULL;
      g_autoptr (GPtrArray) replayed = NULL;
      double seconds;

      /* A capture appends */
      g_remove (capture);
      record (f, strcmp (dialect, "sdk") == 0 ? KC_SIM_DIALECT_SDK : KC_SIM_DIALECT_FIELD,
              capture, TRUE, &live, &seconds);
      g_assert_true (g_chmod (capture, 0644) == 0);
      extension = extension_in_capture (capture);
      replayed = replay (f, capture, extension, live->len, seconds + 20);
      g_assert_cmpuint (replayed->len, ==, live->len);
      got = joined (replayed);
      g_assert_true (g_file_set_contents (expected_path, got, -1, &error));
      return;
    }

  g_assert_true (g_file_get_contents (expected_path, &expected, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (g_strchomp (expected), "\n", -1);
  events = g_ptr_array_new ();
  for (char **l = lines; *l; l++)
    g_ptr_array_add (events, *l);
  extension = extension_of (events);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = replay (f, capture, extension, g_strv_length (lines), 60);
  got = joined (events);
  /* expected lost its last newline to the split */
  g_assert_cmpstr (g_strchomp (got), ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/replay/round-trip/field", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_FIELD),
              fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/replay/round-trip/sdk", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_SDK),
              fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/replay/shipped/field", Fixture, "field", fixture_set_up, test_shipped,
              fixture_tear_down);
  g_test_add ("/replay/shipped/sdk", Fixture, "sdk", fixture_set_up, test_shipped,
              fixture_tear_down);

  return g_test_run ();
}
