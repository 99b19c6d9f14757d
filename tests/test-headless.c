/* test-headless.c: `kerio-cti --headless` as another program sees it
 *
 * The real executable runs as a child process against the simulator, which
 * lives in this test's main loop; its stdout must carry exactly the event
 * lines, its stderr the log, and its exit codes must mean what they say.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "core/kc-store.h"
#include "kc-test-headless.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

typedef struct
{
  KcSimServer *sim;
  char        *home; /* data/, cache/ and config/ of the app live here */
} Fixture;

/* kerio-cti --headless with the fixture's folders and the simulator's
 * address; extra_env as kc_test_proc_spawn() takes it */
static KcTestProc *
spawn (Fixture           *f,
       const char *const *args,
       const char *const *extra_env)
{
  g_autofree char *url = f->sim ? kc_sim_server_get_endpoint_url (f->sim) : NULL;

  return kc_test_proc_spawn (f->home, url, args, extra_env);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->home = kc_test_make_tmpdir ();
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->sim);
  kc_test_rm_rf (f->home);
  g_free (f->home);
}

/* --- Configuration errors ---------------------------------------------- */

static void
assert_usage_error (Fixture            *f,
                    const char *const  *args,
                    const char *const  *env,
                    const char         *must_mention)
{
  KcTestProc *proc = spawn (f, args, env);
  g_autofree char *err = NULL;

  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 2);
  err = kc_test_lines_join (proc->err);
  if (!strstr (err, must_mention))
    g_error ("stderr does not mention %s:\n%s", must_mention, err);
  /* One line, for a person or a supervisor script to read */
  g_assert_cmpuint (proc->err->len, ==, 1);
  g_assert_cmpuint (proc->out->len, ==, 0);
  g_assert_cmpuint (proc->syncs->len, ==, 0);
  kc_test_proc_free (proc);
}

static void
test_invalid_configuration (Fixture       *f,
                            gconstpointer  data)
{
  const char *const headless[] = { "--headless", NULL };

  assert_usage_error (f, headless, (const char *const[]){ "KERIO_POLL_INTERVAL=0", NULL },
                      "KERIO_POLL_INTERVAL");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_POLL_INTERVAL=abc", NULL },
                      "KERIO_POLL_INTERVAL");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_SYNC_INTERVAL=0", NULL },
                      "KERIO_SYNC_INTERVAL");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_PBX_HOST=http://", NULL },
                      "KERIO_PBX_HOST");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_PBX_HOST=pbx:port", NULL },
                      "KERIO_PBX_HOST");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_EXTENSION_DIGITS=x", NULL },
                      "KERIO_EXTENSION_DIGITS");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_TLS_PIN=sha256:zz", NULL },
                      "KERIO_TLS_PIN");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_PBX_HOST=", NULL },
                      "KERIO_PBX_HOST");
  assert_usage_error (f, headless, (const char *const[]){ "KERIO_AMI=pbx:port", NULL },
                      "KERIO_AMI");
  assert_usage_error (f, (const char *const[]){ "--headless", "--no-such-option", NULL }, NULL,
                      "no-such-option");
}

/* --- The event stream -------------------------------------------------- */

static JsonObject *
parse_event (const char *line,
             JsonNode  **root_out)
{
  g_autoptr (GError) error = NULL;
  JsonNode *root = json_from_string (line, &error);

  g_assert_no_error (error);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  *root_out = root;
  return json_node_get_object (root);
}

static void
assert_call_event (const char *line,
                   const char *event,
                   const char *id,
                   const char *from,
                   const char *to,
                   const char *direction)
{
  JsonNode *root;
  JsonObject *o = parse_event (line, &root);
  JsonObject *data = json_object_get_object_member (o, "data");
  gint64 start;

  g_assert_cmpuint (json_object_get_size (o), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (o, "event"), ==, event);
  g_assert_cmpstr (json_object_get_string_member (data, "callId"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (data, "fromNumber"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (data, "toNumber"), ==, to);
  g_assert_cmpstr (json_object_get_string_member (data, "direction"), ==, direction);
  g_assert_cmpstr (json_object_get_string_member (data, "state"), ==, "kelyapti");
  g_assert_true (kc_iso8601_to_unix (json_object_get_string_member (data, "startTime"), &start));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (data, "startTime"), "Z"));
  g_assert_cmpint (ABS (start - g_get_real_time () / G_USEC_PER_SEC), <, 60);
  json_node_unref (root);
}

static void
assert_status_event (const char *line,
                     const char *id,
                     const char *state)
{
  JsonNode *root;
  JsonObject *o = parse_event (line, &root);
  JsonObject *data = json_object_get_object_member (o, "data");

  g_assert_cmpstr (json_object_get_string_member (o, "event"), ==, "call_status");
  g_assert_cmpuint (json_object_get_size (data), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (data, "callId"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (data, "state"), ==, state);
  json_node_unref (root);
}

static void
test_event_stream (Fixture       *f,
                   gconstpointer  data)
{
  KcTestProc *proc = spawn (f, (const char *const[]){ "--headless", NULL },
                      (const char *const[]){ "KERIO_SYNC_INTERVAL=0.005", NULL });
  g_autofree char *in_id = NULL;
  g_autofree char *out_id = NULL;
  g_autofree char *missed_id = NULL;
  g_autofree char *db_path = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcRecord) record = NULL;
  g_autoptr (GError) error = NULL;

  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Starting auto-sync every 0.005 minutes"), 20);
  g_assert_true (kc_test_lines_have (proc->err, "Kerio Operator service initialized"));
  g_assert_true (kc_test_lines_have (proc->err, "Starting real-time polling every 0.1 seconds"));
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Synced 0 new call records"), 20);
  g_assert_true (kc_test_lines_have (proc->err, "Fetched 0 call records from Kerio Operator"));
  /* A supervising program learns of each sync on stdout. */
  KC_TEST_WAIT_UNTIL (proc->syncs->len > 0, 20);
  g_assert_cmpstr (g_ptr_array_index (proc->syncs, 0), ==,
                   "{\"event\":\"sync\",\"data\":{\"result\":\"ok\",\"newRecords\":0}}");

  in_id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", "Aziz Karimov", "1001",
                                            NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 1, 20);
  assert_call_event (g_ptr_array_index (proc->out, 0), "incoming_call", in_id, "+998901234567",
                     "1001", "kiruvchi");

  kc_sim_server_answer_call (f->sim, in_id);
  KC_TEST_WAIT_UNTIL (proc->out->len == 2, 20);
  assert_status_event (g_ptr_array_index (proc->out, 1), in_id, "suhbatda");

  out_id = g_strdup (kc_sim_server_add_call (f->sim, "1002", NULL, "+998977654321", NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 3, 20);
  assert_call_event (g_ptr_array_index (proc->out, 2), "outgoing_call", out_id, "1002",
                     "+998977654321", "chiquvchi");

  kc_sim_server_end_call (f->sim, in_id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 4, 20);
  assert_status_event (g_ptr_array_index (proc->out, 3), in_id, "yakunlandi");

  missed_id = g_strdup (kc_sim_server_add_call (f->sim, "+998935550011", NULL, "1003", NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 5, 20);
  kc_sim_server_end_call (f->sim, missed_id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 6, 20);
  assert_status_event (g_ptr_array_index (proc->out, 5), missed_id, "javobsiz");

  /* The next syncs bring the two CDRs into the history. */
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Fetched 2 call records"), 20);

  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.logout"), ==, 1);
  /* Nothing else ever reached stdout: each line is one of the events above,
   * or a sync that went well. */
  g_assert_cmpuint (proc->out->len, ==, 6);
  for (guint i = 0; i < proc->syncs->len; i++)
    g_assert_true (g_str_has_prefix (g_ptr_array_index (proc->syncs, i),
                                     "{\"event\":\"sync\",\"data\":{\"result\":\"ok\","));

  db_path = g_build_filename (f->home, "data", "kerio-cti", "calls.db", NULL);
  store = kc_store_open (db_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kc_store_count (store), ==, 2);
  record = kc_store_lookup (store, missed_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (record);
  g_assert_cmpint (record->status, ==, KC_CALL_STATUS_MISSED);
  g_assert_cmpint (record->direction, ==, KC_DIRECTION_INCOMING);
  kc_test_proc_free (proc);
}

/* The data of a call_status line */
static JsonObject *
status_data (KcTestProc *proc,
             guint       index)
{
  JsonNode *root;
  JsonObject *o = parse_event (g_ptr_array_index (proc->out, index), &root);
  JsonObject *data = json_object_ref (json_object_get_object_member (o, "data"));

  g_assert_cmpstr (json_object_get_string_member (o, "event"), ==, "call_status");
  json_node_unref (root);
  return data;
}

/* The operator at 1001, as real appliances list calls (field) and as the
 * SDK has them: a ring group call taken by a colleague is not missed, a
 * call answered and hung up between two polls is put right by its CDR, a
 * call nobody answered stays missed, another extension's call says
 * nothing; one incoming_call each. */
static void
test_operator_outcomes (Fixture       *f,
                        gconstpointer  data)
{
  const char *const group[] = { "1001", "1002", NULL };
  KcTestProc *proc = NULL;
  g_autofree char *group_id = NULL;
  g_autofree char *quick_id = NULL;
  g_autofree char *missed_id = NULL;
  g_autofree char *db_path = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcRecord) record = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) taken = NULL;
  g_autoptr (JsonObject) corrected = NULL;
  guint syncs;

  kc_sim_server_set_dialect (f->sim, GPOINTER_TO_INT (data));
  proc = spawn (f, (const char *const[]){ "--headless", NULL },
                (const char *const[]){ "KERIO_EXTENSION=1001", "KERIO_SYNC_INTERVAL=0.01", NULL });
  KC_TEST_WAIT_UNTIL (proc->syncs->len > 0, 20);

  group_id = g_strdup (kc_sim_server_add_group_call (f->sim, "+998901234567", NULL, "800", group));
  KC_TEST_WAIT_UNTIL (proc->out->len == 1, 20);
  assert_call_event (g_ptr_array_index (proc->out, 0), "incoming_call", group_id,
                     "+998901234567", "1001", "kiruvchi");
  kc_sim_server_answer_call_at (f->sim, group_id, "1002");
  KC_TEST_WAIT_UNTIL (proc->out->len == 2, 20);
  taken = status_data (proc, 1);
  g_assert_cmpstr (json_object_get_string_member (taken, "callId"), ==, group_id);
  g_assert_cmpstr (json_object_get_string_member (taken, "state"), ==, "yakunlandi");
  g_assert_cmpstr (json_object_get_string_member (taken, "answeredBy"), ==, "1002");
  g_assert_false (json_object_has_member (taken, "corrected"));
  kc_sim_server_end_call (f->sim, group_id, KC_SIM_CDR_NO_ANSWER);

  quick_id = g_strdup (kc_sim_server_add_call (f->sim, "+998935550011", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 3, 20);
  /* In one go: no poll sees it talking */
  kc_sim_server_answer_call (f->sim, quick_id);
  kc_sim_server_end_call (f->sim, quick_id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 5, 20);
  assert_status_event (g_ptr_array_index (proc->out, 3), quick_id, "javobsiz");
  corrected = status_data (proc, 4);
  g_assert_cmpstr (json_object_get_string_member (corrected, "callId"), ==, quick_id);
  g_assert_cmpstr (json_object_get_string_member (corrected, "state"), ==, "yakunlandi");
  g_assert_true (json_object_get_boolean_member (corrected, "corrected"));
  g_assert_false (json_object_has_member (corrected, "answeredBy"));

  /* Someone else's call, then one nobody answers */
  kc_sim_server_end_call (f->sim, kc_sim_server_add_call (f->sim, "+998977777777", NULL, "1003",
                                                          NULL),
                          KC_SIM_CDR_NO_ANSWER);
  missed_id = g_strdup (kc_sim_server_add_call (f->sim, "+998944440000", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 6, 20);
  kc_sim_server_end_call (f->sim, missed_id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 7, 20);
  assert_status_event (g_ptr_array_index (proc->out, 6), missed_id, "javobsiz");

  /* A sync after the last CDR, and time for any late word on the calls */
  syncs = proc->syncs->len;
  KC_TEST_WAIT_UNTIL (proc->syncs->len > syncs + 1, 20);
  kc_test_run_for (1.0);
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  g_assert_cmpuint (proc->out->len, ==, 7);

  /* The history keeps the PBX's four calls once each: the corrected call
   * answered, the missed one missed, the call a colleague took as the
   * colleague's (no missed row of it at 1001) */
  db_path = g_build_filename (f->home, "data", "kerio-cti", "calls.db", NULL);
  store = kc_store_open (db_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kc_store_count (store), ==, 4);
  record = kc_store_lookup (store, quick_id, &error);
  g_assert_nonnull (record);
  g_assert_cmpint (record->status, ==, KC_CALL_STATUS_ANSWERED);
  g_clear_pointer (&record, kc_record_free);
  record = kc_store_lookup (store, missed_id, &error);
  g_assert_nonnull (record);
  g_assert_cmpint (record->status, ==, KC_CALL_STATUS_MISSED);
  g_clear_pointer (&record, kc_record_free);
  record = kc_store_lookup (store, group_id, &error);
  g_assert_nonnull (record);
  g_assert_cmpstr (record->to_number, ==, "1002");
  g_assert_cmpint (record->status, ==, KC_CALL_STATUS_ANSWERED);
  kc_test_proc_free (proc);
}

/* With AMI the pop-up does not wait for a poll: polls come every 30 s here,
 * the call is told of at once, and Status.getCalls is asked only to
 * cross-check */
static void
test_ami_instant (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ami = NULL;
  g_autofree char *id = NULL;
  KcTestProc *proc;
  gint64 rang_us;
  guint polls;

  g_assert_true (kc_sim_server_listen_ami (f->sim, 0, &error));
  ami = g_strdup_printf ("KERIO_AMI=127.0.0.1:%u", kc_sim_server_get_ami_port (f->sim));
  proc = spawn (f, (const char *const[]){ "--headless", NULL },
                (const char *const[]){ ami, "KERIO_EXTENSION=1001", "KERIO_POLL_INTERVAL=30",
                                       NULL });
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Asterisk Manager Interface is connected"),
                      20);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") >= 1, 20);
  /* The poll that follows AMI coming up may still be on its way */
  kc_test_run_for (0.5);
  polls = kc_sim_server_get_request_count (f->sim, "Status.getCalls");

  rang_us = g_get_monotonic_time ();
  id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  KC_TEST_WAIT_UNTIL (proc->out->len == 1, 5);
  /* Far inside a poll interval of 30 s (the benchmark measures it) */
  g_assert_cmpint (g_get_monotonic_time () - rang_us, <, 5 * G_USEC_PER_SEC);
  assert_call_event (g_ptr_array_index (proc->out, 0), "incoming_call", id, "+998901234567",
                     "1001", "kiruvchi");
  kc_test_run_for (0.6);
  kc_sim_server_answer_call (f->sim, id);
  KC_TEST_WAIT_UNTIL (proc->out->len == 2, 5);
  assert_status_event (g_ptr_array_index (proc->out, 1), id, "suhbatda");
  kc_sim_server_end_call (f->sim, id, KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (proc->out->len == 3, 5);
  assert_status_event (g_ptr_array_index (proc->out, 2), id, "yakunlandi");
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls"), ==, polls);

  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  /* It logged off the AMI too */
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Logoff"), ==, 1);
  kc_test_proc_free (proc);
}

static void
test_sigint_exits_cleanly (Fixture       *f,
                           gconstpointer  data)
{
  KcTestProc *proc = spawn (f, (const char *const[]){ "--headless", NULL }, NULL);

  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") > 0, 20);
  g_subprocess_send_signal (proc->process, SIGINT);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.logout"), ==, 1);
  kc_test_proc_free (proc);
}

/* The desktop's libraries cost a headless process most of its start-up time
 * and a third of its memory; it must not load them. */
static void
test_no_desktop_libraries (Fixture       *f,
                           gconstpointer  data)
{
  const char *const desktop[] = { "libgtk-4.so", "libadwaita-1.so", "libgstreamer-1.0.so",
                                  "libsecret-1.so", NULL };
  KcTestProc *proc = spawn (f, (const char *const[]){ "--headless", NULL }, NULL);
  g_autofree char *maps_path = NULL;
  g_autofree char *maps = NULL;
  g_autoptr (GError) error = NULL;

  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (f->sim, "Status.getCalls") > 0, 20);
  maps_path = g_strdup_printf ("/proc/%s/maps", g_subprocess_get_identifier (proc->process));
  g_file_get_contents (maps_path, &maps, NULL, &error);
  g_assert_no_error (error);
  /* The event stream's own libraries are there, so the check can fail. */
  g_assert_nonnull (strstr (maps, "libsoup-3.0.so"));
  for (const char *const *lib = desktop; *lib; lib++)
    if (strstr (maps, *lib))
      g_error ("kerio-cti --headless has loaded %s", *lib);

  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  kc_test_proc_free (proc);
}

/* --- --fetch-recording ------------------------------------------------- */

static void
test_fetch_recording (Fixture       *f,
                      gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *expected_dir = g_build_filename (f->home, "cache", "kerio-cti",
                                                    "recordings", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  KcTestProc *proc;

  kc_sim_server_add_cdr (f->sim, "cdr-with-rec", now - 300, "+998901112233", "1001",
                         KC_SIM_CDR_ANSWERED, 60, 50);
  kc_sim_server_add_recording (f->sim, "rec-1", "1001", "+998901112233", now - 290, 3);
  kc_sim_server_add_cdr (f->sim, "cdr-missed", now - 200, "+998901112244", "1002",
                         KC_SIM_CDR_NO_ANSWER, 20, 0);

  proc = spawn (f, (const char *const[]){ "--headless", "--fetch-recording=cdr-with-rec", NULL },
                NULL);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  g_assert_cmpuint (proc->out->len, ==, 1);
  g_assert_cmpuint (proc->syncs->len, ==, 0);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (proc->out, 0), expected_dir));
  g_assert_true (g_file_get_contents (g_ptr_array_index (proc->out, 0), &contents, &length, NULL));
  g_assert_cmpuint (length, >, 44);
  g_assert_true (memcmp (contents, "RIFF", 4) == 0);
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 1);
  kc_test_proc_free (proc);

  /* The second time it comes from the cache. */
  proc = spawn (f, (const char *const[]){ "--headless", "--fetch-recording=cdr-with-rec", NULL },
                NULL);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 1);
  kc_test_proc_free (proc);

  proc = spawn (f, (const char *const[]){ "--headless", "--fetch-recording=cdr-missed", NULL },
                NULL);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 1);
  g_assert_cmpuint (proc->out->len, ==, 0);
  g_assert_true (kc_test_lines_have (proc->err, "Call cdr-missed has no recording"));
  kc_test_proc_free (proc);

  proc = spawn (f, (const char *const[]){ "--headless", "--fetch-recording=no-such-call", NULL },
                NULL);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 1);
  g_assert_true (kc_test_lines_have (proc->err, "no call no-such-call in the history"));
  kc_test_proc_free (proc);
}

/* --- Demo -------------------------------------------------------------- */

static void
test_demo_shows_calls (Fixture       *f,
                       gconstpointer  data)
{
  KcTestProc *proc;

  g_clear_object (&f->sim);
  proc = spawn (f, (const char *const[]){ "--headless", "--demo", NULL }, NULL);
  KC_TEST_WAIT_UNTIL (proc->out->len > 0, 30);
  g_assert_true (strstr (g_ptr_array_index (proc->out, 0), "\"event\":\"incoming_call\"") ||
                 strstr (g_ptr_array_index (proc->out, 0), "\"event\":\"outgoing_call\""));
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Synced"), 30);
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  kc_test_proc_free (proc);
}

/* --- A day's figures ----------------------------------------------------- */

/* Tashkent's time (UTC+5), as a POSIX TZ string that needs no tzdata */
#define STATS_TZ "UZT-5"

static gint64
local_time (GDateTime *day,
            int        days,
            int        hour,
            int        minute,
            int        second)
{
  g_autoptr (GDateTime) other = g_date_time_add_days (day, days);
  g_autoptr (GDateTime) t = NULL;
  int y, m, d;

  g_date_time_get_ymd (other, &y, &m, &d);
  t = g_date_time_new (g_date_time_get_timezone (day), y, m, d, hour, minute, second);
  return g_date_time_to_unix (t);
}

/* kerio-cti --stats with ARGS: the one JSON object it printed */
static JsonObject *
run_stats (Fixture           *f,
           const char *const *args,
           const char        *extension)
{
  g_autofree char *extension_env = g_strdup_printf ("KERIO_EXTENSION=%s", extension ? extension : "");
  const char *const env[] = { "TZ=" STATS_TZ, extension ? extension_env : "KERIO_EXTENSION", NULL };
  KcTestProc *proc = spawn (f, args, env);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *stats;

  if (kc_test_proc_wait_exit (proc) != 0 || proc->out->len != 1)
    {
      kc_test_proc_dump (proc, "kerio-cti --stats");
      g_error ("kerio-cti --stats did not print one line and exit 0");
    }
  root = json_from_string (g_ptr_array_index (proc->out, 0), NULL);
  g_assert_true (root != NULL && JSON_NODE_HOLDS_OBJECT (root));
  stats = json_object_ref (json_node_get_object (root));
  kc_test_proc_free (proc);
  return stats;
}

static void
assert_figures (JsonObject *stats,
                const char *date,
                gint64      incoming,
                gint64      outgoing,
                gint64      answered,
                gint64      missed,
                gint64      to_call_back,
                gint64      average_talk,
                gint64      longest_wait,
                const char *per_hour)
{
  g_autoptr (JsonNode) hours = json_node_init_array (json_node_alloc (),
                                                     json_object_get_array_member (stats,
                                                                                   "perHour"));
  g_autofree char *hours_text = json_to_string (hours, FALSE);

  g_assert_cmpuint (json_object_get_size (stats), ==, 9);
  g_assert_cmpstr (json_object_get_string_member (stats, "date"), ==, date);
  g_assert_cmpint (json_object_get_int_member (stats, "incoming"), ==, incoming);
  g_assert_cmpint (json_object_get_int_member (stats, "outgoing"), ==, outgoing);
  g_assert_cmpint (json_object_get_int_member (stats, "answered"), ==, answered);
  g_assert_cmpint (json_object_get_int_member (stats, "missed"), ==, missed);
  g_assert_cmpint (json_object_get_int_member (stats, "toCallBack"), ==, to_call_back);
  g_assert_cmpint (json_object_get_int_member (stats, "averageTalkSeconds"), ==, average_talk);
  g_assert_cmpint (json_object_get_int_member (stats, "longestWaitSeconds"), ==, longest_wait);
  g_assert_cmpstr (hours_text, ==, per_hour);
}

/* The history a headless run synced, then the figures of its days */
static void
test_stats (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (STATS_TZ);
  g_autoptr (GDateTime) today = g_date_time_new_now (tz);
  g_autoptr (GDateTime) yesterday = g_date_time_add_days (today, -1);
  g_autofree char *today_text = g_date_time_format (today, "%Y-%m-%d");
  g_autofree char *yesterday_text = g_date_time_format (yesterday, "%Y-%m-%d");
  g_autofree char *yesterday_arg = g_strconcat ("--stats=", yesterday_text, NULL);
  g_autoptr (JsonObject) stats = NULL;
  KcTestProc *proc;

  kc_sim_server_add_cdr (f->sim, "y1", local_time (today, -1, 23, 59, 59), "+998900000001",
                         "1001", KC_SIM_CDR_NO_ANSWER, 9, 0);
  kc_sim_server_add_cdr (f->sim, "t1", local_time (today, 0, 9, 5, 0), "+998900000004", "1001",
                         KC_SIM_CDR_ANSWERED, 100, 80);
  kc_sim_server_add_cdr (f->sim, "t2", local_time (today, 0, 9, 30, 0), "+998900000005", "1001",
                         KC_SIM_CDR_NO_ANSWER, 45, 0);
  kc_sim_server_add_cdr (f->sim, "t3", local_time (today, 0, 9, 59, 59), "+998900000006", "1001",
                         KC_SIM_CDR_NO_ANSWER, 10, 0);
  kc_sim_server_add_cdr (f->sim, "t4", local_time (today, 0, 10, 15, 0), "1001", "+998900000006",
                         KC_SIM_CDR_ANSWERED, 200, 190);
  kc_sim_server_add_cdr (f->sim, "t5", local_time (today, 0, 14, 0, 0), "+998900000007", "1002",
                         KC_SIM_CDR_ANSWERED, 35, 30);

  proc = spawn (f, (const char *const[]){ "--headless", NULL },
                (const char *const[]){ "TZ=" STATS_TZ, NULL });
  KC_TEST_WAIT_UNTIL (proc->syncs->len > 0, 20);
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  kc_test_proc_free (proc);

  /* Today is the default, the local day; t3's caller was called back */
  stats = run_stats (f, (const char *const[]){ "--headless", "--stats", NULL }, NULL);
  assert_figures (stats, today_text, 4, 1, 2, 2, 1, 100, 45,
                  "[{\"hour\":9,\"answered\":1,\"missed\":2},"
                  "{\"hour\":14,\"answered\":1,\"missed\":0}]");
  g_clear_pointer (&stats, json_object_unref);

  /* The operator's own calls */
  stats = run_stats (f, (const char *const[]){ "--headless", "--stats", NULL }, "1001");
  assert_figures (stats, today_text, 3, 1, 1, 2, 1, 135, 45,
                  "[{\"hour\":9,\"answered\":1,\"missed\":2}]");
  g_clear_pointer (&stats, json_object_unref);

  /* Yesterday's missed call came before the follow-up began */
  stats = run_stats (f, (const char *const[]){ "--headless", yesterday_arg, NULL }, NULL);
  assert_figures (stats, yesterday_text, 1, 0, 0, 1, 0, 0, 9,
                  "[{\"hour\":23,\"answered\":0,\"missed\":1}]");
}

static void
test_stats_bad_date (Fixture       *f,
                     gconstpointer  data)
{
  const char *const bad[] = { "--stats=2026-13-01", "--stats=2026-02-30", "--stats=7.12.2026",
                              "--stats=yesterday", "--stats=2026-12-7" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_usage_error (f, (const char *const[]){ "--headless", bad[i], NULL }, NULL,
                        "YYYY-MM-DD");
}

/* --- A history file that is not ours ------------------------------------ */

static void
test_unreadable_database_moved_aside (Fixture       *f,
                                      gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->home, "data", "kerio-cti", NULL);
  g_autofree char *db = g_build_filename (dir, "calls.db", NULL);
  g_autoptr (GDir) listing = NULL;
  const char *name;
  gboolean found_aside = FALSE;
  KcTestProc *proc;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (db, "these are someone's notes, not a database", -1, NULL));

  proc = spawn (f, (const char *const[]){ "--headless", NULL }, NULL);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Synced"), 20);
  g_assert_true (kc_test_lines_have (proc->err, "moved to"));
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
  kc_test_proc_free (proc);

  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)))
    if (g_str_has_prefix (name, "calls.db.unreadable-"))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autofree char *contents = NULL;

        g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
        g_assert_cmpstr (contents, ==, "these are someone's notes, not a database");
        found_aside = TRUE;
      }
  g_assert_true (found_aside);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/headless/invalid-configuration", test_invalid_configuration);
  ADD ("/headless/event-stream", test_event_stream);
  ADD ("/headless/ami-instant", test_ami_instant);
  g_test_add ("/headless/operator-outcomes/field", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_FIELD),
              fixture_set_up, test_operator_outcomes, fixture_tear_down);
  g_test_add ("/headless/operator-outcomes/sdk", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_SDK),
              fixture_set_up, test_operator_outcomes, fixture_tear_down);
  ADD ("/headless/sigint", test_sigint_exits_cleanly);
  ADD ("/headless/no-desktop-libraries", test_no_desktop_libraries);
  ADD ("/headless/fetch-recording", test_fetch_recording);
  ADD ("/headless/demo", test_demo_shows_calls);
  ADD ("/headless/unreadable-database", test_unreadable_database_moved_aside);
  ADD ("/headless/stats", test_stats);
  ADD ("/headless/stats-bad-date", test_stats_bad_date);
#undef ADD

  return g_test_run ();
}
