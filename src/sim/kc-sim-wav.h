/* kc-sim-wav.h: voice-like WAV audio for the simulator's recordings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KC_SIM_WAV_SAMPLE_RATE 8000
/* Longer recordings are served as this many seconds, so that a download never
 * costs more than a few megabytes of memory. */
#define KC_SIM_WAV_MAX_SECONDS (10 * 60)

/* Size in bytes of the file kc_sim_wav_generate() makes for `seconds` */
gsize   kc_sim_wav_get_size (guint seconds);
/* RIFF/PCM, 8 kHz, 16-bit mono; the same seed gives the same bytes */
GBytes *kc_sim_wav_generate (guint   seconds,
                             guint32 seed);

G_END_DECLS
