/* kc-sim-wav.c
 *
 * The recordings are meant to be listened to in the player, so they should
 * sound like somebody talking rather than a test tone: phrases of voiced
 * syllables with a drifting pitch, separated by pauses of faint line noise.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-wav"

#include <math.h>
#include <string.h>

#include "kc-sim-wav.h"

#define HEADER_SIZE 44
#define BYTES_PER_SAMPLE 2

static guint
clamp_seconds (guint seconds)
{
  return MIN (seconds, KC_SIM_WAV_MAX_SECONDS);
}

gsize
kc_sim_wav_get_size (guint seconds)
{
  return HEADER_SIZE + (gsize) clamp_seconds (seconds) * KC_SIM_WAV_SAMPLE_RATE * BYTES_PER_SAMPLE;
}

static guint8 *
put_tag (guint8     *p,
         const char *tag)
{
  memcpy (p, tag, 4);
  return p + 4;
}

static guint8 *
put_u32 (guint8  *p,
         guint32  value)
{
  value = GUINT32_TO_LE (value);
  memcpy (p, &value, 4);
  return p + 4;
}

static guint8 *
put_u16 (guint8  *p,
         guint16  value)
{
  value = GUINT16_TO_LE (value);
  memcpy (p, &value, 2);
  return p + 2;
}

static void
write_header (guint8  *p,
              guint32  data_size)
{
  p = put_tag (p, "RIFF");
  p = put_u32 (p, HEADER_SIZE - 8 + data_size);
  p = put_tag (p, "WAVE");
  p = put_tag (p, "fmt ");
  p = put_u32 (p, 16);
  p = put_u16 (p, 1); /* PCM */
  p = put_u16 (p, 1); /* mono */
  p = put_u32 (p, KC_SIM_WAV_SAMPLE_RATE);
  p = put_u32 (p, KC_SIM_WAV_SAMPLE_RATE * BYTES_PER_SAMPLE);
  p = put_u16 (p, BYTES_PER_SAMPLE);
  p = put_u16 (p, 16);
  p = put_tag (p, "data");
  put_u32 (p, data_size);
}

static void
put_sample (guint8 *p,
            double  value)
{
  gint16 sample = (gint16) CLAMP (lrint (value), G_MININT16, G_MAXINT16);
  guint16 le = GUINT16_TO_LE ((guint16) sample);

  memcpy (p, &le, 2);
}

/* One phrase: syllables at a speaking rate of 3-6 per second, a pitch that
 * wanders and falls towards the end, and a vowel-like resonance that moves
 * from syllable to syllable. */
static void
synthesize_phrase (GRand  *rand,
                   guint8 *out,
                   gsize   n_samples)
{
  const double rate = KC_SIM_WAV_SAMPLE_RATE;
  double pitch = g_rand_double_range (rand, 95.0, 230.0);
  double syllable_rate = g_rand_double_range (rand, 3.0, 6.0);
  double loudness = g_rand_double_range (rand, 5000.0, 9000.0);
  double resonance = g_rand_double_range (rand, 450.0, 1300.0);
  double phase = 0.0, resonance_phase = 0.0, syllable_phase = 0.0;

  for (gsize i = 0; i < n_samples; i++)
    {
      double t = i / rate;
      double progress = (double) i / (double) n_samples;
      double f0 = pitch * (1.0 + 0.07 * sin (2 * G_PI * 0.8 * t)) * (1.0 - 0.15 * progress);
      double syllable = 0.5 - 0.5 * cos (syllable_phase);
      double edge = MIN (1.0, MIN (t, (n_samples - i) / rate) / 0.05);
      double voice;

      phase = fmod (phase + 2 * G_PI * f0 / rate, 2 * G_PI);
      resonance_phase = fmod (resonance_phase + 2 * G_PI * resonance / rate, 2 * G_PI);
      syllable_phase += 2 * G_PI * syllable_rate / rate;
      if (syllable_phase >= 2 * G_PI)
        {
          syllable_phase -= 2 * G_PI;
          resonance = g_rand_double_range (rand, 450.0, 1300.0);
        }

      voice = 0.55 * sin (phase) + 0.25 * sin (2 * phase) + 0.12 * sin (3 * phase)
              + 0.18 * sin (resonance_phase) * (0.6 + 0.4 * sin (phase));
      put_sample (out + i * BYTES_PER_SAMPLE, loudness * syllable * edge * voice);
    }
}

GBytes *
kc_sim_wav_generate (guint   seconds,
                     guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gsize n_samples = (gsize) clamp_seconds (seconds) * KC_SIM_WAV_SAMPLE_RATE;
  gsize size = kc_sim_wav_get_size (seconds);
  guint8 *data = g_malloc (size);
  guint8 *samples = data + HEADER_SIZE;
  gsize i = 0;

  write_header (data, (guint32) (n_samples * BYTES_PER_SAMPLE));

  while (i < n_samples)
    {
      /* MIN() evaluates its arguments twice: draw each length once. */
      gsize phrase = (gsize) (g_rand_double_range (rand, 0.8, 3.0) * KC_SIM_WAV_SAMPLE_RATE);
      gsize pause;

      phrase = MIN (n_samples - i, phrase);
      synthesize_phrase (rand, samples + i * BYTES_PER_SAMPLE, phrase);
      i += phrase;

      pause = (gsize) (g_rand_double_range (rand, 0.2, 0.9) * KC_SIM_WAV_SAMPLE_RATE);
      pause = MIN (n_samples - i, pause);
      for (gsize j = 0; j < pause; j++)
        put_sample (samples + (i + j) * BYTES_PER_SAMPLE, g_rand_double_range (rand, -40.0, 40.0));
      i += pause;
    }

  return g_bytes_new_take (data, size);
}
