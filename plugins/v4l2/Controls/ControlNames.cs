using System.Collections.Frozen;
using System.Globalization;

namespace CameraService.Plugins.V4l2.Controls;

/// <summary>How a manual control depends on an automatic mode: it is active only while the mode has one of the values.</summary>
/// <param name="Master">The automatic-mode control, e.g. <c>auto_exposure</c>.</param>
/// <param name="ActiveWhen">The master's values under which the dependent control is active.</param>
internal sealed record ControlDependency(uint Master, IReadOnlyList<long> ActiveWhen);

/// <summary>
/// Stable snake_case names of V4L2 controls, derived from the control id (<c>V4L2_CID_*</c>), never from the
/// driver's free-text name (which differs between drivers and firmware versions). The names are those the
/// kernel's standard names give in <c>v4l2-ctl</c>, so a user can read them off <c>v4l2-ctl --list-ctrls</c>.
/// A control without a standard id (a driver-private or extension-unit control) is named <c>cid_0x&lt;id&gt;</c>;
/// the driver's name is shown as its label. See docs/v4l2.md.
/// </summary>
internal static class ControlNames
{
    private const uint UserBase = 0x00980900;
    private const uint CameraBase = 0x009a0900;

    public const uint Brightness = UserBase + 0;
    public const uint Contrast = UserBase + 1;
    public const uint Hue = UserBase + 3;
    public const uint WhiteBalanceAutomatic = UserBase + 12;
    public const uint GainAutomatic = UserBase + 18;
    public const uint Gain = UserBase + 19;
    public const uint HueAutomatic = UserBase + 25;
    public const uint WhiteBalanceTemperature = UserBase + 26;
    public const uint RedBalance = UserBase + 14;
    public const uint BlueBalance = UserBase + 15;
    public const uint BrightnessAutomatic = UserBase + 32;
    public const uint AutoExposure = CameraBase + 1;
    public const uint ExposureTimeAbsolute = CameraBase + 2;
    public const uint ExposureDynamicFramerate = CameraBase + 3;
    public const uint FocusAbsolute = CameraBase + 10;
    public const uint FocusAutomaticContinuous = CameraBase + 12;
    public const uint IrisAbsolute = CameraBase + 17;
    public const uint WhiteBalanceAutoPreset = CameraBase + 20;
    public const uint IsoSensitivity = CameraBase + 23;
    public const uint IsoSensitivityAuto = CameraBase + 24;

    // V4L2_EXPOSURE_* values of auto_exposure.
    private const long ExposureManual = 1;
    private const long ExposureShutterPriority = 2;
    private const long ExposureAperturePriority = 3;

    private static readonly FrozenDictionary<uint, string> ById = new Dictionary<uint, string>
    {
        // User class (V4L2_CID_BASE + n).
        [UserBase + 0] = "brightness",
        [UserBase + 1] = "contrast",
        [UserBase + 2] = "saturation",
        [UserBase + 3] = "hue",
        [UserBase + 11] = "black_level",
        [UserBase + 12] = "white_balance_automatic",
        [UserBase + 13] = "do_white_balance",
        [UserBase + 14] = "red_balance",
        [UserBase + 15] = "blue_balance",
        [UserBase + 16] = "gamma",
        [UserBase + 17] = "exposure",
        [UserBase + 18] = "gain_automatic",
        [UserBase + 19] = "gain",
        [UserBase + 20] = "horizontal_flip",
        [UserBase + 21] = "vertical_flip",
        [UserBase + 24] = "power_line_frequency",
        [UserBase + 25] = "hue_automatic",
        [UserBase + 26] = "white_balance_temperature",
        [UserBase + 27] = "sharpness",
        [UserBase + 28] = "backlight_compensation",
        [UserBase + 29] = "chroma_agc",
        [UserBase + 30] = "color_killer",
        [UserBase + 31] = "color_effects",
        [UserBase + 32] = "brightness_automatic",
        [UserBase + 33] = "band_stop_filter",
        [UserBase + 34] = "rotate",
        [UserBase + 35] = "background_color",
        [UserBase + 36] = "chroma_gain",
        [UserBase + 37] = "illuminator_1",
        [UserBase + 38] = "illuminator_2",
        [UserBase + 39] = "min_buffers_for_capture",
        [UserBase + 40] = "min_buffers_for_output",
        [UserBase + 41] = "alpha_component",
        [UserBase + 42] = "color_effects_cbcr",

        // Camera class (V4L2_CID_CAMERA_CLASS_BASE + n).
        [CameraBase + 1] = "auto_exposure",
        [CameraBase + 2] = "exposure_time_absolute",
        [CameraBase + 3] = "exposure_dynamic_framerate",
        [CameraBase + 4] = "pan_relative",
        [CameraBase + 5] = "tilt_relative",
        [CameraBase + 6] = "pan_reset",
        [CameraBase + 7] = "tilt_reset",
        [CameraBase + 8] = "pan_absolute",
        [CameraBase + 9] = "tilt_absolute",
        [CameraBase + 10] = "focus_absolute",
        [CameraBase + 11] = "focus_relative",
        [CameraBase + 12] = "focus_automatic_continuous",
        [CameraBase + 13] = "zoom_absolute",
        [CameraBase + 14] = "zoom_relative",
        [CameraBase + 15] = "zoom_continuous",
        [CameraBase + 16] = "privacy",
        [CameraBase + 17] = "iris_absolute",
        [CameraBase + 18] = "iris_relative",
        [CameraBase + 19] = "auto_exposure_bias",
        [CameraBase + 20] = "white_balance_auto_preset",
        [CameraBase + 21] = "wide_dynamic_range",
        [CameraBase + 22] = "image_stabilization",
        [CameraBase + 23] = "iso_sensitivity",
        [CameraBase + 24] = "iso_sensitivity_auto",
        [CameraBase + 25] = "exposure_metering_mode",
        [CameraBase + 26] = "scene_mode",
        [CameraBase + 27] = "3a_lock",
        [CameraBase + 28] = "auto_focus_start",
        [CameraBase + 29] = "auto_focus_stop",
        [CameraBase + 30] = "auto_focus_status",
        [CameraBase + 31] = "auto_focus_range",
        [CameraBase + 32] = "pan_speed",
        [CameraBase + 33] = "tilt_speed",
        [CameraBase + 34] = "camera_orientation",
        [CameraBase + 35] = "camera_sensor_rotation",
    }.ToFrozenDictionary();

    /// <summary>
    /// Controls that move by an amount or at a speed instead of holding a value: they have no current value,
    /// are never persisted or restored, and a reset leaves them alone.
    /// </summary>
    private static readonly FrozenSet<uint> RelativeIds = new[]
    {
        CameraBase + 4, CameraBase + 5, CameraBase + 11, CameraBase + 14, CameraBase + 15, CameraBase + 18,
        CameraBase + 32, CameraBase + 33,
    }.ToFrozenSet();

    /// <summary>Automatic modes: applied before every other control, so a manual value lands on an active control.</summary>
    private static readonly FrozenSet<uint> AutoModeIds = new[]
    {
        WhiteBalanceAutomatic, GainAutomatic, HueAutomatic, BrightnessAutomatic, AutoExposure, ExposureDynamicFramerate,
        FocusAutomaticContinuous, WhiteBalanceAutoPreset, IsoSensitivityAuto,
    }.ToFrozenSet();

    /// <summary>Which automatic mode makes a manual control inactive (as the UVC driver and most sensor drivers do).</summary>
    private static readonly FrozenDictionary<uint, ControlDependency> Dependencies = new Dictionary<uint, ControlDependency>
    {
        [ExposureTimeAbsolute] = new(AutoExposure, [ExposureManual, ExposureShutterPriority]),
        [IrisAbsolute] = new(AutoExposure, [ExposureManual, ExposureAperturePriority]),
        [WhiteBalanceTemperature] = new(WhiteBalanceAutomatic, [0]),
        [RedBalance] = new(WhiteBalanceAutomatic, [0]),
        [BlueBalance] = new(WhiteBalanceAutomatic, [0]),
        [FocusAbsolute] = new(FocusAutomaticContinuous, [0]),
        [Gain] = new(GainAutomatic, [0]),
        [Hue] = new(HueAutomatic, [0]),
        [Brightness] = new(BrightnessAutomatic, [0]),
        [IsoSensitivity] = new(IsoSensitivityAuto, [0]),
    }.ToFrozenDictionary();

    /// <summary>The stable name of a control id.</summary>
    public static string NameOf(uint id) =>
        ById.TryGetValue(id, out var name) ? name : "cid_0x" + id.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The id of a standard name (tests and documentation).</summary>
    public static uint IdOf(string name) => ById.First(p => p.Value == name).Key;

    /// <summary>Whether the control is relative (moves by an amount, holds no value).</summary>
    public static bool IsRelative(uint id) => RelativeIds.Contains(id);

    /// <summary>Whether the control is an automatic mode that governs other controls.</summary>
    public static bool IsAutoMode(uint id) => AutoModeIds.Contains(id);

    /// <summary>The automatic mode a control depends on, if any.</summary>
    public static ControlDependency? DependencyOf(uint id) => Dependencies.GetValueOrDefault(id);

    /// <summary>Every id with a standard name (for documentation tests).</summary>
    public static IEnumerable<KeyValuePair<uint, string>> All => ById;

    /// <summary>The order in which values are applied: automatic modes first, then everything else, each by id.</summary>
    public static int ApplyRank(uint id) => IsAutoMode(id) ? 0 : 1;
}
