/* kc-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kc-calls-page.h"
#include "kc-dashboard-page.h"
#include "kc-open-url.h"
#include "kc-window.h"

struct _KcWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;
  AdwStatusPage        *problem_page; /* built when first shown, as the welcome page */
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkMenuButton        *menu_button;
  GMenuModel           *primary_menu;
  AdwBin               *dashboard_bin;
  AdwBin               *calls_bin;
  /* Each page is built the first time it is shown (or a call is selected on
   * it), or else when the main loop is idle after the window's first frame:
   * the window opens on one of them, and building the other, with its rows,
   * styling and layout, delayed the first frame. */
  KcDashboardPage      *dashboard;
  KcCallsPage          *calls;

  guint                 first_frame_tick;
  guint                 build_idle;

  KcEngine             *engine;
  GError               *sync_failure; /* the sync's last failure, while it lasts */
};

G_DEFINE_FINAL_TYPE (KcWindow, kc_window, ADW_TYPE_APPLICATION_WINDOW)

/* The page switcher only means something while the pages are shown; when
 * the window is too narrow for it in the header bar, it moves to the bottom. */
static void
update_switchers (KcWindow *self)
{
  gboolean content = g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack),
                                "content") == 0;
  gboolean bottom = content && adw_view_switcher_title_get_title_visible (self->switcher_title);

  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, content);
  /* The bottom bar gets its buttons the first time it is needed: hidden,
   * they were built and measured with every window. */
  if (bottom && adw_view_switcher_bar_get_stack (self->switcher_bar) == NULL)
    adw_view_switcher_bar_set_stack (self->switcher_bar, self->view_stack);
  adw_view_switcher_bar_set_reveal (self->switcher_bar, bottom);
}

static GtkWidget *
new_pill_button (const char *label,
                 const char *action)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_widget_add_css_class (button, "pill");
  return button;
}

static GtkWidget *
new_welcome_page (void)
{
  GtkWidget *page = adw_status_page_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *set_up = new_pill_button (_("_Set Up Connection"), "app.preferences");

  gtk_widget_add_css_class (set_up, "suggested-action");
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), set_up);
  gtk_box_append (GTK_BOX (box), new_pill_button (_("_Try the Demo"), "app.demo"));
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "uz.kerio.Cti");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Welcome to Kerio CTI"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                   _("Connect to your Kerio Operator to see incoming calls "
                                     "here the moment they ring, or try the demo first."));
  adw_status_page_set_child (ADW_STATUS_PAGE (page), box);
  return page;
}

static GtkWidget *
new_problem_page (void)
{
  GtkWidget *page = adw_status_page_new ();
  GtkWidget *button = new_pill_button (_("_Open Preferences"), "app.preferences");

  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "dialog-warning-symbolic");
  adw_status_page_set_child (ADW_STATUS_PAGE (page), button);
  return page;
}

/* The window shows its welcome and problem pages seldom; they are built the
 * first time they are shown. */
static void
show_main_page (KcWindow   *self,
                const char *name)
{
  if (gtk_stack_get_child_by_name (self->main_stack, name) == NULL)
    {
      GtkWidget *page = g_str_equal (name, "welcome") ? new_welcome_page () : new_problem_page ();

      if (g_str_equal (name, "problem"))
        self->problem_page = ADW_STATUS_PAGE (page);
      gtk_stack_add_named (self->main_stack, page, name);
    }
  gtk_stack_set_visible_child_name (self->main_stack, name);
  update_switchers (self);
}

/* Until the dashboard is built, the window remembers why the history could
 * not be saved, for the dashboard to show when it is. */
static void
on_sync_failed (KcWindow *self,
                GError   *error)
{
  g_clear_error (&self->sync_failure);
  self->sync_failure = g_error_copy (error);
}

static void
on_synced (KcWindow *self)
{
  g_clear_error (&self->sync_failure);
}

static KcDashboardPage *
ensure_dashboard (KcWindow *self)
{
  if (self->dashboard != NULL)
    return self->dashboard;

  self->dashboard = g_object_new (KC_TYPE_DASHBOARD_PAGE, NULL);
  adw_bin_set_child (self->dashboard_bin, GTK_WIDGET (self->dashboard));
  if (self->engine != NULL)
    {
      kc_dashboard_page_set_tracker (self->dashboard, kc_engine_get_tracker (self->engine));
      kc_dashboard_page_set_sync (self->dashboard, kc_engine_get_sync (self->engine));
      kc_dashboard_page_set_follow_up (self->dashboard, kc_engine_get_follow_up (self->engine));
      kc_dashboard_page_set_caller_context (self->dashboard,
                                            kc_engine_get_caller_context (self->engine));
      if (self->sync_failure != NULL)
        kc_dashboard_page_show_sync_failure (self->dashboard, self->sync_failure);
    }
  return self->dashboard;
}

static void
on_open_url (KcWindow   *self,
             const char *url)
{
  kc_open_url (GTK_WINDOW (self), url);
}

static KcCallsPage *
ensure_calls (KcWindow *self)
{
  if (self->calls != NULL)
    return self->calls;

  self->calls = g_object_new (KC_TYPE_CALLS_PAGE, NULL);
  g_signal_connect_object (self->calls, "open-url", G_CALLBACK (on_open_url), self,
                           G_CONNECT_SWAPPED);
  adw_bin_set_child (self->calls_bin, GTK_WIDGET (self->calls));
  if (self->engine != NULL)
    kc_calls_page_set_engine (self->calls, self->engine);
  return self->calls;
}

/* A page's placeholder is mapped when the page comes on screen */
static void
on_dashboard_bin_map (KcWindow *self)
{
  ensure_dashboard (self);
}

static void
on_calls_bin_map (KcWindow *self)
{
  ensure_calls (self);
}

/* One page a dispatch, so that switching to the other page later does not
 * wait for it to be built */
static gboolean
build_hidden_page (gpointer data)
{
  KcWindow *self = data;

  if (self->dashboard == NULL)
    {
      ensure_dashboard (self);
      return G_SOURCE_CONTINUE;
    }
  ensure_calls (self);
  self->build_idle = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
on_first_frame (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  KcWindow *self = KC_WINDOW (widget);

  self->first_frame_tick = 0;
  /* At a lower priority than the frame's layout and paint: after them */
  self->build_idle = g_idle_add_full (G_PRIORITY_LOW, build_hidden_page, self, NULL);
  return G_SOURCE_REMOVE;
}

/* Ctrl+F: the history, with the cursor in its search box */
static void
find_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  KcWindow *self = user_data;

  kc_window_show_content (self);
  adw_view_stack_set_visible_child_name (self->view_stack, "calls");
  kc_calls_page_focus_search (ensure_calls (self));
}

static const GActionEntry win_actions[] = {
  { "find", find_activated },
};

static void
kc_window_dispose (GObject *object)
{
  KcWindow *self = KC_WINDOW (object);

  if (self->first_frame_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->first_frame_tick);
  self->first_frame_tick = 0;
  g_clear_handle_id (&self->build_idle, g_source_remove);

  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (kc_engine_get_sync (self->engine), self);
      g_signal_handlers_disconnect_by_data (kc_engine_get_tracker (self->engine), self);
    }
  g_clear_object (&self->engine);
  g_clear_error (&self->sync_failure);

  G_OBJECT_CLASS (kc_window_parent_class)->dispose (object);
}

static void
kc_window_class_init (KcWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KcWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, dashboard_bin);
  gtk_widget_class_bind_template_child (widget_class, KcWindow, calls_bin);
}

/* The menu's popover is built the first time it opens */
static void
create_primary_menu (GtkMenuButton *button,
                     gpointer       user_data)
{
  KcWindow *self = user_data;

  gtk_menu_button_set_menu_model (button, self->primary_menu);
}

static void
kc_window_init (KcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions),
                                   self);
  gtk_menu_button_set_create_popup_func (self->menu_button, create_primary_menu, self, NULL);
  g_signal_connect_object (self->switcher_title, "notify::title-visible",
                           G_CALLBACK (update_switchers), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->dashboard_bin, "map", G_CALLBACK (on_dashboard_bin_map), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->calls_bin, "map", G_CALLBACK (on_calls_bin_map), self,
                           G_CONNECT_SWAPPED);
  self->first_frame_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_first_frame, NULL,
                                                         NULL);
  update_switchers (self);
}

KcWindow *
kc_window_new (gpointer application)
{
  return g_object_new (KC_TYPE_WINDOW, "application", application, NULL);
}

/* A call that rang here and was taken at another extension leaves the
 * dashboard at once; the operator is told who took it. */
static void
on_call_state_changed (KcWindow *self,
                       KcCall   *call,
                       int       old_state)
{
  const char *answered_by = kc_call_get_answered_by (call);
  const char *number = kc_call_get_from_number (call);
  g_autofree char *message = NULL;
  AdwToast *toast;

  if (answered_by == NULL || kc_call_get_direction (call) != KC_DIRECTION_INCOMING ||
      kc_call_get_state (call) != KC_CALL_STATE_FINISHED ||
      (old_state != KC_CALL_STATE_RINGING && !kc_call_get_corrected (call)))
    return;
  /* TRANSLATORS: the caller's number, then the extension that answered,
   * e.g. "The call from +998901234567 was answered at 1002" */
  message = g_strdup_printf (_("The call from %s was answered at %s"),
                             number && *number ? number : _("an unknown number"), answered_by);
  toast = adw_toast_new (message);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
kc_window_set_engine (KcWindow *self,
                      KcEngine *engine)
{
  g_return_if_fail (KC_IS_WINDOW (self));
  g_return_if_fail (KC_IS_ENGINE (engine));

  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (kc_engine_get_sync (self->engine), self);
      g_signal_handlers_disconnect_by_data (kc_engine_get_tracker (self->engine), self);
    }
  g_set_object (&self->engine, engine);
  g_clear_error (&self->sync_failure);
  g_signal_connect_object (kc_engine_get_sync (engine), "failed", G_CALLBACK (on_sync_failed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (kc_engine_get_sync (engine), "synced", G_CALLBACK (on_synced), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kc_engine_get_tracker (engine), "call-state-changed",
                           G_CALLBACK (on_call_state_changed), self, G_CONNECT_SWAPPED);

  if (self->dashboard != NULL)
    {
      kc_dashboard_page_set_tracker (self->dashboard, kc_engine_get_tracker (engine));
      kc_dashboard_page_set_sync (self->dashboard, kc_engine_get_sync (engine));
      kc_dashboard_page_set_follow_up (self->dashboard, kc_engine_get_follow_up (engine));
      kc_dashboard_page_set_caller_context (self->dashboard,
                                            kc_engine_get_caller_context (engine));
    }
  if (self->calls != NULL)
    kc_calls_page_set_engine (self->calls, engine);
  kc_window_show_content (self);
}

/* Whether the call is ringing or talking right now */
static gboolean
is_active_call (KcWindow   *self,
                const char *call_id)
{
  GListModel *calls;
  guint n;

  if (self->engine == NULL)
    return FALSE;
  calls = kc_call_tracker_get_calls (kc_engine_get_tracker (self->engine));
  n = g_list_model_get_n_items (calls);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KcCall) call = g_list_model_get_item (calls, i);

      if (g_strcmp0 (kc_call_get_call_id (call), call_id) == 0)
        return TRUE;
    }
  return FALSE;
}

void
kc_window_show_call (KcWindow   *self,
                     const char *call_id)
{
  g_return_if_fail (KC_IS_WINDOW (self));

  kc_window_show_content (self);
  /* A call still ringing or talking is on the dashboard; one that ended is
   * in the history. */
  if (is_active_call (self, call_id) &&
      kc_dashboard_page_select_call (ensure_dashboard (self), call_id))
    {
      adw_view_stack_set_visible_child_name (self->view_stack, "dashboard");
      return;
    }
  adw_view_stack_set_visible_child_name (self->view_stack, "calls");
  kc_calls_page_select_call (ensure_calls (self), call_id);
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

  show_main_page (self, "problem");
  adw_status_page_set_title (self->problem_page, title);
  adw_status_page_set_description (self->problem_page, description);
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

void
kc_window_set_accels (GtkApplication *application)
{
  static const struct
  {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.find", { "<Control>f", NULL } },
    /* Closing keeps Kerio CTI in the tray */
    { "window.close", { "<Control>w", NULL } },
  };

  g_return_if_fail (GTK_IS_APPLICATION (application));

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (application, accels[i].action, accels[i].accels);
}

void
kc_window_show_about (KcWindow *self)
{
  const char *developers[] = { _("Kerio CTI contributors"), NULL };
  GtkWidget *about;

  g_return_if_fail (KC_IS_WINDOW (self));

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", self,
                        "modal", TRUE,
                        "application-name", _("Kerio CTI"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "comments", _("Calls from Kerio Operator on the operator's desktop: "
                                      "who is calling, who is talking, the history and its "
                                      "recordings."),
                        "website", PACKAGE_WEBSITE,
                        "issue-url", PACKAGE_ISSUES,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        "copyright", _("© Kerio CTI contributors"),
                        /* TRANSLATORS: your names, one a line, as you want them credited */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}
