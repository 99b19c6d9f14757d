/* kc-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kc-calls-page.h"
#include "kc-dashboard-page.h"
#include "kc-window.h"

struct _KcWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;
  AdwStatusPage        *problem_page;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  KcDashboardPage      *dashboard;
  KcCallsPage          *calls;
};

G_DEFINE_FINAL_TYPE (KcWindow, kc_window, ADW_TYPE_APPLICATION_WINDOW)

/* The page switcher only means something while the pages are shown; when
 * the window is too narrow for it in the header bar, it moves to the bottom. */
static void
update_switchers (KcWindow *self)
{
  gboolean content = g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack),
                                "content") == 0;

  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, content);
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    content && adw_view_switcher_title_get_title_visible (
                                                 self->switcher_title));
}

static void
show_main_page (KcWindow   *self,
                const char *name)
{
  gtk_stack_set_visible_child_name (self->main_stack, name);
  update_switchers (self);
}

static void
kc_window_class_init (KcWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_type_ensure (KC_TYPE_DASHBOARD_PAGE);
  g_type_ensure (KC_TYPE_CALLS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KcWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, problem_page);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, dashboard);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, calls);
}

static void
kc_window_init (KcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (self->switcher_title, "notify::title-visible",
                           G_CALLBACK (update_switchers), self, G_CONNECT_SWAPPED);
  update_switchers (self);
}

KcWindow *
kc_window_new (gpointer application)
{
  return g_object_new (KC_TYPE_WINDOW, "application", application, NULL);
}

void
kc_window_set_engine (KcWindow *self,
                      KcEngine *engine)
{
  g_return_if_fail (KC_IS_WINDOW (self));

  kc_dashboard_page_set_tracker (self->dashboard, kc_engine_get_tracker (engine));
  kc_dashboard_page_set_sync (self->dashboard, kc_engine_get_sync (engine));
  kc_calls_page_set_engine (self->calls, engine);
  kc_window_show_content (self);
}

void
kc_window_show_call (KcWindow   *self,
                     const char *call_id)
{
  g_return_if_fail (KC_IS_WINDOW (self));

  kc_window_show_content (self);
  /* A call still ringing or talking is on the dashboard; one that ended is
   * in the history. */
  if (kc_dashboard_page_select_call (self->dashboard, call_id))
    {
      adw_view_stack_set_visible_child_name (self->view_stack, "dashboard");
      return;
    }
  adw_view_stack_set_visible_child_name (self->view_stack, "calls");
  kc_calls_page_select_call (self->calls, call_id);
}

void
kc_window_show_welcome (KcWindow *self)
{
  g_return_if_fail (KC_IS_WINDOW (self));
  show_main_page (self, "welcome");
}

void
kc_window_show_problem (KcWindow   *self,
                        const char *title,
                        const char *description)
{
  g_return_if_fail (KC_IS_WINDOW (self));

  adw_status_page_set_title (self->problem_page, title);
  adw_status_page_set_description (self->problem_page, description);
  show_main_page (self, "problem");
}

void
kc_window_show_content (KcWindow *self)
{
  g_return_if_fail (KC_IS_WINDOW (self));
  show_main_page (self, "content");
}

void
kc_window_add_toast (KcWindow   *self,
                     const char *message)
{
  AdwToast *toast;

  g_return_if_fail (KC_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
