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

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
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
  gboolean omit_call_ids = FALSE;
  gboolean numeric_status = FALSE;
  gboolean numbers_as_strings = FALSE;
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
    { "omit-call-ids", 0, 0, G_OPTION_ARG_NONE, &omit_call_ids,
      "Leave ID out of active calls, as some firmware does", NULL },
    { "numeric-status", 0, 0, G_OPTION_ARG_NONE, &numeric_status,
      "Send the status of active calls as a number", NULL },
    { "numbers-as-strings", 0, 0, G_OPTION_ARG_NONE, &numbers_as_strings,
      "Send numbers as JSON strings", NULL },
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
                                "calls, call history and recordings, for trying out Kerio CTI.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("kerio-sim: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (port < 0 || port > G_MAXUINT16 || page_cap < 0 || history < 0 || traffic < 0
      || (tls_cert == NULL) != (tls_key == NULL))
    {
      g_printerr ("kerio-sim: invalid options; see --help\n");
      return EXIT_FAILURE;
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
  kc_sim_server_set_omit_call_ids (sim, omit_call_ids);
  kc_sim_server_set_numeric_status (sim, numeric_status);
  kc_sim_server_set_numbers_as_strings (sim, numbers_as_strings);
  if (history > 0)
    {
      gint64 step = MAX (1, HISTORY_SPAN / history);

      kc_sim_server_add_generated_cdrs (sim, "hist", (guint) history,
                                        g_get_real_time () / G_USEC_PER_SEC - step * history, step);
    }

  if (!kc_sim_server_listen (sim, (guint16) port, certificate, &error))
    {
      g_printerr ("kerio-sim: cannot listen on 127.0.0.1:%d: %s\n", port, error->message);
      return EXIT_FAILURE;
    }
  if (traffic > 0)
    kc_sim_server_start_traffic (sim, traffic, seed >= 0 ? (guint32) seed : g_random_int ());

  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  url = kc_sim_server_get_endpoint_url (sim);
  printf ("Kerio Operator simulator listening on %s (user %s)\n", url, user);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  return EXIT_SUCCESS;
}
