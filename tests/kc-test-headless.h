/* kc-test-headless.h: `kerio-cti --headless` as a child process
 *
 * The real executable, with its own XDG folders, its stdout and stderr read
 * line by line on the test's main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

typedef struct
{
  GSubprocess *process;
  GPtrArray   *out;   /* lines of stdout but the "sync" events */
  GPtrArray   *syncs; /* the "sync" events */
  GPtrArray   *sync_data; /* their "data", as JsonObject */
  GPtrArray   *err; /* lines of stderr */
  gboolean     out_closed;
  gboolean     err_closed;
  gboolean     exited;
} KcTestProc;

static void kc_test_proc_read_next (GDataInputStream *stream,
                                    KcTestProc       *proc);

static inline void
kc_test_proc_line_read (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  KcTestProc *proc = user_data;
  GDataInputStream *stream = G_DATA_INPUT_STREAM (source);
  char *line = g_data_input_stream_read_line_finish_utf8 (stream, result, NULL, NULL);
  gboolean is_out = g_object_get_data (source, "is-out") != NULL;

  if (line == NULL)
    {
      if (is_out)
        proc->out_closed = TRUE;
      else
        proc->err_closed = TRUE;
      g_object_unref (stream);
      return;
    }
  if (is_out && g_str_has_prefix (line, "{\"event\":\"sync\""))
    {
      g_autoptr (JsonNode) root = json_from_string (line, NULL);

      g_assert_true (root != NULL && JSON_NODE_HOLDS_OBJECT (root));
      g_ptr_array_add (proc->sync_data,
                       json_object_ref (json_object_get_object_member (json_node_get_object (root),
                                                                       "data")));
      g_ptr_array_add (proc->syncs, line);
    }
  else
    g_ptr_array_add (is_out ? proc->out : proc->err, line);
  kc_test_proc_read_next (stream, proc);
}

static inline void
kc_test_proc_read_next (GDataInputStream *stream,
                        KcTestProc       *proc)
{
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, kc_test_proc_line_read,
                                       proc);
}

static inline void
kc_test_proc_exited (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  KcTestProc *proc = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  proc->exited = TRUE;
}

/* Runs kerio-cti with its XDG folders in home (data/, cache/, config/), the PBX at url (NULL: no
 * KERIO_PBX_HOST), the simulator's user name and password, and a 0.1 s poll.
 * extra_env: NULL-terminated; "NAME=VALUE" sets, a bare "NAME" unsets.
 * child_setup: runs in the child before exec (NULL: none); the child dies
 * with the test either way. */
static inline KcTestProc *
kc_test_proc_spawn_full (const char           *home,
                         const char           *url,
                         const char *const    *args,
                         const char *const    *extra_env,
                         GSpawnChildSetupFunc  child_setup,
                         gpointer              child_setup_data)
{
  static const char *const variables[] = {
    "KERIO_PBX_HOST", "KERIO_API_USERNAME", "KERIO_API_PASSWORD", "KERIO_POLL_INTERVAL",
    "KERIO_SYNC_INTERVAL", "KERIO_EXTENSION", "KERIO_EXTENSION_DIGITS", "KERIO_TLS_PIN",
    "KERIO_CAPTURE", "KERIO_CAPTURE_ANONYMIZE", "KERIO_EVENTS_LISTEN", "KERIO_EVENTS_TOKEN",
    "KERIO_AMI", "KERIO_AMI_USERNAME", "KERIO_AMI_PASSWORD",
    "KERIO_EVENTS_ORIGINS", NULL
  };
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  KcTestProc *proc = g_new0 (KcTestProc, 1);
  GDataInputStream *out;
  GDataInputStream *err;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (const char *const *v = variables; *v; v++)
    g_subprocess_launcher_unsetenv (launcher, *v);
  for (const char *const *x = (const char *const[]){ "XDG_DATA_HOME", "data", "XDG_CACHE_HOME",
                                                     "cache", "XDG_CONFIG_HOME", "config",
                                                     NULL };
       *x; x += 2)
    {
      g_autofree char *dir = g_build_filename (home, x[1], NULL);

      g_subprocess_launcher_setenv (launcher, x[0], dir, TRUE);
    }
  if (url)
    g_subprocess_launcher_setenv (launcher, "KERIO_PBX_HOST", url, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_API_USERNAME", KC_SIM_DEFAULT_USERNAME, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_API_PASSWORD", KC_SIM_DEFAULT_PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_POLL_INTERVAL", "0.1", TRUE);
  for (const char *const *e = extra_env; e && *e; e++)
    {
      g_auto (GStrv) kv = g_strsplit (*e, "=", 2);

      if (kv[1] != NULL)
        g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, kv[0]);
    }

  g_ptr_array_add (argv, (gpointer) g_getenv ("KERIO_CTI"));
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add (argv, (gpointer) *a);
  g_ptr_array_add (argv, NULL);

  if (child_setup != NULL)
    g_subprocess_launcher_set_child_setup (launcher, child_setup, child_setup_data, NULL);
  else
    g_subprocess_launcher_set_child_setup (launcher, kc_test_die_with_parent, NULL, NULL);

  proc->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                                &error);
  g_assert_no_error (error);
  proc->out = g_ptr_array_new_with_free_func (g_free);
  proc->syncs = g_ptr_array_new_with_free_func (g_free);
  proc->sync_data = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  proc->err = g_ptr_array_new_with_free_func (g_free);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc->process));
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc->process));
  g_object_set_data (G_OBJECT (out), "is-out", GINT_TO_POINTER (1));
  kc_test_proc_read_next (out, proc);
  kc_test_proc_read_next (err, proc);
  g_subprocess_wait_async (proc->process, NULL, kc_test_proc_exited, proc);
  return proc;
}

static inline KcTestProc *
kc_test_proc_spawn (const char        *home,
                    const char        *url,
                    const char *const *args,
                    const char *const *extra_env)
{
  return kc_test_proc_spawn_full (home, url, args, extra_env, NULL, NULL);
}

/* What a process said, for a test that is about to fail on it */
static inline void
kc_test_proc_dump (KcTestProc *proc,
                   const char *name)
{
  g_printerr ("--- %s (%s), stdout:\n", name,
              proc->exited ? "exited" : "still running");
  for (guint i = 0; i < proc->syncs->len; i++)
    g_printerr ("%s\n", (const char *) g_ptr_array_index (proc->syncs, i));
  for (guint i = 0; i < proc->out->len; i++)
    g_printerr ("%s\n", (const char *) g_ptr_array_index (proc->out, i));
  g_printerr ("--- %s, stderr:\n", name);
  for (guint i = 0; i < proc->err->len; i++)
    g_printerr ("%s\n", (const char *) g_ptr_array_index (proc->err, i));
}

static inline void
kc_test_proc_free (KcTestProc *proc)
{
  if (!proc->exited)
    {
      g_subprocess_force_exit (proc->process);
      KC_TEST_WAIT_UNTIL (proc->exited, 10);
    }
  KC_TEST_WAIT_UNTIL (proc->out_closed && proc->err_closed, 10);
  g_object_unref (proc->process);
  g_ptr_array_unref (proc->out);
  g_ptr_array_unref (proc->syncs);
  g_ptr_array_unref (proc->sync_data);
  g_ptr_array_unref (proc->err);
  g_free (proc);
}

/* Waits for the exit and the last of the output; returns the exit status */
static inline int
kc_test_proc_wait_exit (KcTestProc *proc)
{
  KC_TEST_WAIT_UNTIL (proc->exited && proc->out_closed && proc->err_closed, 60);
  g_assert_true (g_subprocess_get_if_exited (proc->process));
  return g_subprocess_get_exit_status (proc->process);
}

static inline guint
kc_test_lines_count (GPtrArray  *lines,
                     const char *needle)
{
  guint n = 0;

  for (guint i = 0; i < lines->len; i++)
    n += strstr (g_ptr_array_index (lines, i), needle) != NULL;
  return n;
}

static inline gboolean
kc_test_lines_have (GPtrArray  *lines,
                    const char *needle)
{
  return kc_test_lines_count (lines, needle) > 0;
}

static inline char *
kc_test_lines_join (GPtrArray *lines)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (s, "%s\n", (char *) g_ptr_array_index (lines, i));
  return g_string_free (s, FALSE);
}
