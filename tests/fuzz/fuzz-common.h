/* fuzz-common.h: shared by the fuzz targets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A critical from GLib or json-glib is a finding, whether or not
 * G_DEBUG=fatal-criticals is set; the parsers' own messages are noise. */
static inline void
kc_fuzz_init (void)
{
  static gboolean done = FALSE;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
}

/* An invariant the code promises; a broken one aborts, as a crash would. */
#define kc_fuzz_assert(expr)                                                    \
  G_STMT_START                                                                  \
  {                                                                             \
    if (G_UNLIKELY (!(expr)))                                                   \
      {                                                                         \
        g_printerr ("%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #expr); \
        abort ();                                                               \
      }                                                                         \
  }                                                                             \
  G_STMT_END
