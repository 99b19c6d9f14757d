/* kc-test-util.h: waiting on the main loop, temporary folders, the simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <signal.h>
#include <sys/prctl.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

/* A GSubprocessLauncher child setup: the child is killed when the test
 * dies, so a test that fails half-way leaves no app running behind it. */
static inline void
kc_test_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static inline gboolean
kc_test_wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the default main context until `cond` holds; a test that waits
 * longer than `seconds` fails with the condition's text. */
#define KC_TEST_WAIT_UNTIL(cond, seconds)                                            \
  G_STMT_START                                                                       \
  {                                                                                  \
    guint kc_wake_ = g_timeout_add (10, kc_test_wake, NULL);                         \
    gint64 kc_deadline_ = g_get_monotonic_time () + (gint64) ((seconds) * G_USEC_PER_SEC); \
    while (!(cond))                                                                  \
      {                                                                              \
        if (g_get_monotonic_time () > kc_deadline_)                                  \
          g_error ("Timed out after %g s waiting for: %s", (double) (seconds), #cond); \
        g_main_context_iteration (NULL, TRUE);                                       \
      }                                                                              \
    g_source_remove (kc_wake_);                                                      \
  }                                                                                  \
  G_STMT_END

/* Runs the main loop for `seconds` whatever happens (to show that something
 * does NOT happen, e.g. no retry storm). */
static inline void
kc_test_run_for (double seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  guint wake = g_timeout_add (10, kc_test_wake, NULL);

  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (wake);
}

static inline void
kc_test_store_result (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Waits for an async call started with kc_test_store_result / &res.
 * Usage:
 *   g_autoptr (GAsyncResult) res = NULL;
 *   kc_kerio_client_login_async (client, NULL, kc_test_store_result, &res);
 *   KC_TEST_AWAIT (res);
 *   ok = kc_kerio_client_login_finish (client, res, &error); */
#define KC_TEST_AWAIT(res) KC_TEST_WAIT_UNTIL ((res) != NULL, 30)

/* A fresh folder under the test's tmp dir, removed by the caller with
 * kc_test_rm_rf(). */
static inline char *
kc_test_make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("kerio-cti-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static inline void
kc_test_rm_rf (const char *path)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileEnumerator) children = NULL;
  GFileInfo *info;

  if (path == NULL)
    return;
  file = g_file_new_for_path (path);
  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);
      g_object_unref (info);
      kc_test_rm_rf (child);
    }
  g_remove (path);
}

/* The test certificate and key the build made (tests/meson.build) */
static inline GTlsCertificate *
kc_test_load_certificate (void)
{
  g_autoptr (GError) error = NULL;
  GTlsCertificate *cert = g_tls_certificate_new_from_files (g_getenv ("KC_TEST_CERT"),
                                                            g_getenv ("KC_TEST_KEY"), &error);

  g_assert_no_error (error);
  return cert;
}

/* A second certificate for the same address (tests/meson.build): what a
 * replaced PBX certificate, or someone in the middle, would present */
static inline GTlsCertificate *
kc_test_load_other_certificate (void)
{
  g_autoptr (GError) error = NULL;
  GTlsCertificate *cert = g_tls_certificate_new_from_files (g_getenv ("KC_TEST_CERT2"),
                                                            g_getenv ("KC_TEST_KEY2"), &error);

  g_assert_no_error (error);
  return cert;
}
