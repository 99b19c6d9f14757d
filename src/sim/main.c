/* main.c: kerio-sim, the Kerio Operator simulator on its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kerio-sim"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>

#include "kc-sim-server.h"

/* History spread over the last two weeks, at most one call a second */
#define HISTORY_SPAN (14 * 24 * 3600)

typedef struct
{
  KcSimServer *sim;
  double       down_for;
  double       every;
} Restarts;

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_restart_at (gpointer user_data)
{
  Restarts *restarts = user_data;

  if (!kc_sim_server_restart (restarts->sim, restarts->down_for))
    g_message ("A restart is due while the simulator is still down; skipped");
  return G_SOURCE_REMOVE;
}

static gboolean
on_restart_every (gpointer user_data)
{
  on_restart_at (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_traffic_end (gpointer user_data)
{
  kc_sim_server_stop_traffic (user_data);
  return G_SOURCE_REMOVE;
}

/* The timeouts live as long as the process */
static void
add_seconds_timeout (double       seconds,
                     GSourceFunc  func,
                     gpointer     data)
{
  g_timeout_add ((guint) MAX (seconds * 1000, 1), func, data);
}

static gboolean
write_ground_truth (KcSimServer  *sim,
                    const char   *path,
                    const char   *extension,
                    guint         extension_digits,
                    GError      **error)
{
  g_autoptr (JsonNode) truth = kc_sim_server_get_ground_truth (sim, extension, extension_digits);
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, truth);
  return json_generator_to_file (generator, path, error);
}

int
main (int   argc,
      char *argv[])
{
  int port = 8021;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *user = g_strdup (KC_SIM_DEFAULT_USERNAME);
  g_autofree char *password = g_strdup (KC_SIM_DEFAULT_PASSWORD);
  double traffic = 6;
  gint64 seed = -1;
  int page_cap = 0;
  int history = 0;
  g_autofree char *replay = NULL;
  g_autofree char *dialect_name = NULL;
  KcSimDialect dialect = KC_SIM_DIALECT_FIELD;
  double cdr_delay = 0;
  gboolean omit_call_ids = FALSE;
  gboolean numeric_status = FALSE;
  gboolean numbers_as_strings = FALSE;
  double fault_rates[KC_SIM_FAULT_SLOW + 1] = { 0 };
  double slow_delay = 12;
  gint64 fault_seed = 0;
  double expire_every = 0;
  g_auto (GStrv) restart_at = NULL;
  double restart_every = 0;
  double down_for = 5;
  double traffic_for = 0;
  g_autofree char *ground_truth = NULL;
  g_autofree char *extension = NULL;
  int extension_digits = 4;
  int ami_port = -1;
  g_autofree char *ami_version_name = NULL;
  KcSimAmiVersion ami_version = KC_SIM_AMI_11;
  g_autofree char *ami_user = NULL;
  g_autofree char *ami_secret = NULL;
  g_autofree char *ami_tech = NULL;
  gboolean ami_no_challenge = FALSE;
  Restarts restarts = { 0 };
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (default 8021, 0: any free one)",
      "PORT" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Serve HTTPS with this PEM certificate",
      "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "The certificate's PEM private key",
      "FILE" },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user, "User name to accept (default admin)", "NAME" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Password to accept (default demo)",
      "PASSWORD" },
    { "traffic", 't', 0, G_OPTION_ARG_DOUBLE, &traffic,
      "Random calls per minute (default 6, 0: none)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the random traffic (default: random)",
      "N" },
    { "page-cap", 0, 0, G_OPTION_ARG_INT, &page_cap, "Serve at most N rows per page (0: no cap)",
      "N" },
    { "history", 0, 0, G_OPTION_ARG_INT, &history, "Start with N past calls in the call history",
      "N" },
    { "dialect", 0, 0, G_OPTION_ARG_STRING, &dialect_name,
      "The shape of live calls: field (the default) or sdk", "field|sdk" },
    { "cdr-delay", 0, 0, G_OPTION_ARG_DOUBLE, &cdr_delay,
      "Write a call's record this long after it ends (default 0)", "SECONDS" },
    { "replay", 0, 0, G_OPTION_ARG_FILENAME, &replay,
      "Serve a capture of kerio-cti --capture instead of simulated calls", "FILE" },
    { "omit-call-ids", 0, 0, G_OPTION_ARG_NONE, &omit_call_ids,
      "Leave the id out of active calls, as some firmware does", NULL },
    { "numeric-status", 0, 0, G_OPTION_ARG_NONE, &numeric_status,
      "Send the status of active calls as the number 0 (ringing) or 1 (up)", NULL },
    { "numbers-as-strings", 0, 0, G_OPTION_ARG_NONE, &numbers_as_strings,
      "Send numbers as JSON strings", NULL },
    { "traffic-for", 0, 0, G_OPTION_ARG_DOUBLE, &traffic_for,
      "Start new random calls only for this many seconds (0: for ever)", "SECONDS" },
    { "drop-rate", 0, 0, G_OPTION_ARG_DOUBLE, &fault_rates[KC_SIM_FAULT_DROP],
      "Close this share of connections without an answer (0-1)", "RATE" },
    { "http500-rate", 0, 0, G_OPTION_ARG_DOUBLE, &fault_rates[KC_SIM_FAULT_HTTP_500],
      "Answer this share of requests with HTTP 500", "RATE" },
    { "truncate-rate", 0, 0, G_OPTION_ARG_DOUBLE, &fault_rates[KC_SIM_FAULT_TRUNCATED],
      "Cut this share of answers in half", "RATE" },
    { "malformed-rate", 0, 0, G_OPTION_ARG_DOUBLE, &fault_rates[KC_SIM_FAULT_MALFORMED],
      "Answer this share of requests with JSON that does not parse", "RATE" },
    { "slow-rate", 0, 0, G_OPTION_ARG_DOUBLE, &fault_rates[KC_SIM_FAULT_SLOW],
      "Answer this share of requests only after --slow-delay", "RATE" },
    { "slow-delay", 0, 0, G_OPTION_ARG_DOUBLE, &slow_delay,
      "How late a slow answer comes (default 12 s, beyond the client's timeout)", "SECONDS" },
    { "fault-seed", 0, 0, G_OPTION_ARG_INT64, &fault_seed,
      "Seed of the fault draws (default 0)", "N" },
    { "expire-every", 0, 0, G_OPTION_ARG_DOUBLE, &expire_every,
      "Forget every session this often (0: never)", "SECONDS" },
    { "restart-at", 0, 0, G_OPTION_ARG_STRING_ARRAY, &restart_at,
      "Restart this many seconds after start, keeping the history (repeatable)", "SECONDS" },
    { "restart-every", 0, 0, G_OPTION_ARG_DOUBLE, &restart_every,
      "Restart this often, keeping the history", "SECONDS" },
    { "down-for", 0, 0, G_OPTION_ARG_DOUBLE, &down_for,
      "Refuse connections this long in a restart (default 5)", "SECONDS" },
    { "ground-truth", 0, 0, G_OPTION_ARG_FILENAME, &ground_truth,
      "At exit, write the call history and what became of each live call to FILE as JSON",
      "FILE" },
    { "extension", 0, 0, G_OPTION_ARG_STRING, &extension,
      "Classify calls in the ground truth as Kerio CTI with this extension does", "EXT" },
    { "extension-digits", 0, 0, G_OPTION_ARG_INT, &extension_digits,
      "... and this many digits of an extension (default 4)", "N" },
    { "ami-port", 0, 0, G_OPTION_ARG_INT, &ami_port,
      "Speak the Asterisk Manager Interface on this port of 127.0.0.1 too (0: any free one)",
      "PORT" },
    { "ami-version", 0, 0, G_OPTION_ARG_STRING, &ami_version_name,
      "AMI events as Asterisk 11 (the default), 18 or 1.8 sends them", "11|18|1.8" },
    { "ami-user", 0, 0, G_OPTION_ARG_STRING, &ami_user,
      "AMI user name to accept (default: the --user)", "NAME" },
    { "ami-secret", 0, 0, G_OPTION_ARG_STRING, &ami_secret,
      "AMI secret to accept (default: the --password)", "SECRET" },
    { "ami-tech", 0, 0, G_OPTION_ARG_STRING, &ami_tech,
      "Channel technology in AMI channel names (default SIP)", "SIP|PJSIP" },
    { "ami-no-challenge", 0, 0, G_OPTION_ARG_NONE, &ami_no_challenge,
      "Offer no MD5 challenge: AMI logins send the secret itself", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (KcSimServer) sim = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *url = NULL;
  guint sigint, sigterm;

  g_option_context_set_summary (context,
                                "A Kerio Operator PBX simulator: the JSON-RPC API with live\n"
                                "calls, call history and recordings, for trying out Kerio CTI.\n"
                                "\n"
                                "Random calls ring extensions 1001-1010, about a quarter of the\n"
                                "incoming ones through ring group 800 (2 or 3 extensions at once).\n"
                                "Live calls show as real appliances show them (--dialect=field: a\n"
                                "row per channel, lower-case id, STATUS \"0\"/\"1\") or as Kerio's\n"
                                "PHP SDK implies (--dialect=sdk: a row per call, ID, NAME, STATUS\n"
                                "words, ANSWERED_DURATION).\n"
                                "\n"
                                "With --ami-port it also speaks the Asterisk Manager Interface:\n"
                                "each leg of every call is a channel whose events (Newchannel,\n"
                                "Newstate, dial, bridge, Hangup) go to every logged-in client;\n"
                                "--ami-version=11 (the default) sends Dial and Bridge events with\n"
                                "Linkedid, 1.8 the same without Linkedid, 18 DialBegin/DialEnd and\n"
                                "BridgeCreate/BridgeEnter/BridgeLeave/BridgeDestroy.\n"
                                "POST /sim/control {\"action\":\"amiDrop\"} cuts the AMI\n"
                                "connections, {\"action\":\"amiRefuse\",\"refuse\":true} refuses\n"
                                "logins, {\"action\":\"amiHang\",\"hang\":true} stops answering.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("kerio-sim: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (dialect_name && !kc_sim_dialect_from_name (dialect_name, &dialect))
    {
      g_printerr ("kerio-sim: --dialect is field or sdk, not '%s'\n", dialect_name);
      return 2;
    }
  if (ami_version_name && !kc_sim_ami_version_from_name (ami_version_name, &ami_version))
    {
      g_printerr ("kerio-sim: --ami-version is 11, 18 or 1.8, not '%s'\n", ami_version_name);
      return 2;
    }
  if (ami_port > G_MAXUINT16 || (ami_tech != NULL && *ami_tech == '\0')
      || port < 0 || port > G_MAXUINT16 || page_cap < 0 || history < 0 || traffic < 0
      || (tls_cert == NULL) != (tls_key == NULL) || slow_delay < 0 || expire_every < 0
      || restart_every < 0 || down_for < 0 || traffic_for < 0 || extension_digits < 0
      || cdr_delay < 0)
    {
      g_printerr ("kerio-sim: invalid options; see --help\n");
      return EXIT_FAILURE;
    }
  {
    double sum = 0;

    for (guint i = 0; i < G_N_ELEMENTS (fault_rates); i++)
      {
        if (fault_rates[i] < 0 || fault_rates[i] > 1)
          {
            g_printerr ("kerio-sim: a fault rate is a share from 0 to 1\n");
            return EXIT_FAILURE;
          }
        sum += fault_rates[i];
      }
    if (sum > 1)
      {
        g_printerr ("kerio-sim: the fault rates add up to more than 1\n");
        return EXIT_FAILURE;
      }
  }
  for (guint i = 0; restart_at && restart_at[i]; i++)
    {
      char *end;
      double at = g_ascii_strtod (restart_at[i], &end);

      if (end == restart_at[i] || *end != '\0' || at < 0)
        {
          g_printerr ("kerio-sim: --restart-at wants seconds, not '%s'\n", restart_at[i]);
          return EXIT_FAILURE;
        }
    }

  if (tls_cert)
    {
      certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (certificate == NULL)
        {
          g_printerr ("kerio-sim: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }

  sim = kc_sim_server_new ();
  kc_sim_server_set_credentials (sim, user, password);
  kc_sim_server_set_page_cap (sim, (guint) page_cap);
  kc_sim_server_set_dialect (sim, dialect);
  kc_sim_server_set_cdr_delay (sim, cdr_delay);
  kc_sim_server_set_omit_call_ids (sim, omit_call_ids);
  kc_sim_server_set_numeric_status (sim, numeric_status);
  kc_sim_server_set_numbers_as_strings (sim, numbers_as_strings);
  kc_sim_server_set_ami_version (sim, ami_version);
  if (ami_user || ami_secret)
    kc_sim_server_set_ami_credentials (sim, ami_user ? ami_user : user,
                                       ami_secret ? ami_secret : password);
  if (ami_tech)
    kc_sim_server_set_ami_channel_tech (sim, ami_tech);
  kc_sim_server_set_ami_challenge (sim, !ami_no_challenge);
  for (guint i = KC_SIM_FAULT_NONE + 1; i < G_N_ELEMENTS (fault_rates); i++)
    if (fault_rates[i] > 0)
      kc_sim_server_set_fault_rate (sim, (KcSimFault) i, fault_rates[i]);
  kc_sim_server_set_fault_seed (sim, (guint32) fault_seed);
  kc_sim_server_set_slow_delay (sim, slow_delay);
  if (history > 0)
    {
      gint64 step = MAX (1, HISTORY_SPAN / history);

      kc_sim_server_add_generated_cdrs (sim, "hist", (guint) history,
                                        g_get_real_time () / G_USEC_PER_SEC - step * history, step);
    }

  if (replay && !kc_sim_server_load_replay (sim, replay, &error))
    {
      g_printerr ("kerio-sim: %s\n", error->message);
      return 2;
    }

  if (!kc_sim_server_listen (sim, (guint16) port, certificate, &error))
    {
      g_printerr ("kerio-sim: cannot listen on 127.0.0.1:%d: %s\n", port, error->message);
      return EXIT_FAILURE;
    }
  if (ami_port >= 0 && !kc_sim_server_listen_ami (sim, (guint16) ami_port, &error))
    {
      g_printerr ("kerio-sim: cannot listen for the AMI on 127.0.0.1:%d: %s\n", ami_port,
                  error->message);
      return EXIT_FAILURE;
    }
  /* A replay answers from its capture: simulated calls would not show */
  if (traffic > 0 && replay == NULL)
    {
      kc_sim_server_start_traffic (sim, traffic, seed >= 0 ? (guint32) seed : g_random_int ());
      if (traffic_for > 0)
        add_seconds_timeout (traffic_for, on_traffic_end, sim);
    }
  kc_sim_server_set_expire_every (sim, expire_every);
  restarts.sim = sim;
  restarts.down_for = down_for;
  for (guint i = 0; restart_at && restart_at[i]; i++)
    add_seconds_timeout (g_ascii_strtod (restart_at[i], NULL), on_restart_at, &restarts);
  if (restart_every > 0)
    add_seconds_timeout (restart_every, on_restart_every, &restarts);

  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  url = kc_sim_server_get_endpoint_url (sim);
  if (replay)
    printf ("Kerio Operator simulator listening on %s (replaying %s, any user)\n", url, replay);
  else
    printf ("Kerio Operator simulator listening on %s (user %s)\n", url, user);
  /* A line of its own, after the HTTP one that scripts read first */
  if (ami_port >= 0)
    printf ("Asterisk Manager Interface simulator listening on 127.0.0.1:%u (user %s, Asterisk "
            "%s)\n",
            kc_sim_server_get_ami_port (sim), ami_user ? ami_user : user,
            ami_version_name ? ami_version_name : "11");
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (ground_truth
      && !write_ground_truth (sim, ground_truth, extension, (guint) extension_digits, &error))
    {
      g_printerr ("kerio-sim: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}
