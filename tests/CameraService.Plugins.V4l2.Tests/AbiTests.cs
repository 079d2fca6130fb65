using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CameraService.Plugins.V4l2.Controls;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>Skips a test when gcc or the kernel's videodev2.h is missing (test.sh installs both).</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!File.Exists("/usr/include/linux/videodev2.h"))
        {
            Skip = "/usr/include/linux/videodev2.h is missing (install linux-libc-dev)";
        }
        else if (AbiTests.FindGcc() is null)
        {
            Skip = "gcc is not installed (test.sh installs it: apt-get install -y gcc)";
        }
    }
}

/// <summary>Checks every C# mirror of a videodev2.h struct and every request code against the kernel header.</summary>
public sealed class AbiTests
{
    private const string Program = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/videodev2.h>
        #define S(t) printf("sizeof %s %zu\n", #t, sizeof(struct t));
        #define O(t, f) printf("offsetof %s.%s %zu\n", #t, #f, offsetof(struct t, f));
        #define R(r) printf("request %s %lu\n", #r, (unsigned long)(r));
        #define C(c) printf("const %s %lu\n", #c, (unsigned long)(c));
        int main(void) {
          S(v4l2_capability) O(v4l2_capability, driver) O(v4l2_capability, card) O(v4l2_capability, bus_info)
          O(v4l2_capability, version) O(v4l2_capability, capabilities) O(v4l2_capability, device_caps) O(v4l2_capability, reserved)
          S(v4l2_fmtdesc) O(v4l2_fmtdesc, index) O(v4l2_fmtdesc, type) O(v4l2_fmtdesc, flags) O(v4l2_fmtdesc, description)
          O(v4l2_fmtdesc, pixelformat) O(v4l2_fmtdesc, mbus_code) O(v4l2_fmtdesc, reserved)
          S(v4l2_frmsizeenum) O(v4l2_frmsizeenum, index) O(v4l2_frmsizeenum, pixel_format) O(v4l2_frmsizeenum, type)
          O(v4l2_frmsizeenum, discrete) O(v4l2_frmsizeenum, stepwise) O(v4l2_frmsizeenum, reserved)
          S(v4l2_frmsize_discrete) S(v4l2_frmsize_stepwise) O(v4l2_frmsize_stepwise, min_width) O(v4l2_frmsize_stepwise, max_width)
          O(v4l2_frmsize_stepwise, step_width) O(v4l2_frmsize_stepwise, min_height) O(v4l2_frmsize_stepwise, max_height) O(v4l2_frmsize_stepwise, step_height)
          S(v4l2_frmivalenum) O(v4l2_frmivalenum, index) O(v4l2_frmivalenum, pixel_format) O(v4l2_frmivalenum, width)
          O(v4l2_frmivalenum, height) O(v4l2_frmivalenum, type) O(v4l2_frmivalenum, discrete) O(v4l2_frmivalenum, stepwise) O(v4l2_frmivalenum, reserved)
          S(v4l2_fract) S(v4l2_frmival_stepwise) O(v4l2_frmival_stepwise, min) O(v4l2_frmival_stepwise, max) O(v4l2_frmival_stepwise, step)
          S(v4l2_format) O(v4l2_format, type) O(v4l2_format, fmt)
          S(v4l2_pix_format) O(v4l2_pix_format, width) O(v4l2_pix_format, height) O(v4l2_pix_format, pixelformat) O(v4l2_pix_format, field)
          O(v4l2_pix_format, bytesperline) O(v4l2_pix_format, sizeimage) O(v4l2_pix_format, colorspace) O(v4l2_pix_format, priv)
          O(v4l2_pix_format, flags) O(v4l2_pix_format, ycbcr_enc) O(v4l2_pix_format, quantization) O(v4l2_pix_format, xfer_func)
          S(v4l2_queryctrl) O(v4l2_queryctrl, id) O(v4l2_queryctrl, type) O(v4l2_queryctrl, name) O(v4l2_queryctrl, minimum)
          O(v4l2_queryctrl, maximum) O(v4l2_queryctrl, step) O(v4l2_queryctrl, default_value) O(v4l2_queryctrl, flags) O(v4l2_queryctrl, reserved)
          S(v4l2_query_ext_ctrl) O(v4l2_query_ext_ctrl, id) O(v4l2_query_ext_ctrl, type) O(v4l2_query_ext_ctrl, name)
          O(v4l2_query_ext_ctrl, minimum) O(v4l2_query_ext_ctrl, maximum) O(v4l2_query_ext_ctrl, step) O(v4l2_query_ext_ctrl, default_value)
          O(v4l2_query_ext_ctrl, flags) O(v4l2_query_ext_ctrl, elem_size) O(v4l2_query_ext_ctrl, elems) O(v4l2_query_ext_ctrl, nr_of_dims)
          O(v4l2_query_ext_ctrl, dims) O(v4l2_query_ext_ctrl, reserved)
          S(v4l2_control) O(v4l2_control, id) O(v4l2_control, value)
          S(v4l2_querymenu) O(v4l2_querymenu, id) O(v4l2_querymenu, index) O(v4l2_querymenu, name) O(v4l2_querymenu, value)
          O(v4l2_querymenu, reserved)
          S(v4l2_ext_control) O(v4l2_ext_control, id) O(v4l2_ext_control, size) O(v4l2_ext_control, reserved2)
          O(v4l2_ext_control, value) O(v4l2_ext_control, value64)
          S(v4l2_ext_controls) O(v4l2_ext_controls, which) O(v4l2_ext_controls, count) O(v4l2_ext_controls, error_idx)
          O(v4l2_ext_controls, request_fd) O(v4l2_ext_controls, reserved) O(v4l2_ext_controls, controls)
          S(v4l2_event_subscription) O(v4l2_event_subscription, type) O(v4l2_event_subscription, id)
          O(v4l2_event_subscription, flags) O(v4l2_event_subscription, reserved)
          S(v4l2_event_ctrl) O(v4l2_event_ctrl, changes) O(v4l2_event_ctrl, type) O(v4l2_event_ctrl, value)
          O(v4l2_event_ctrl, value64) O(v4l2_event_ctrl, flags) O(v4l2_event_ctrl, minimum) O(v4l2_event_ctrl, maximum)
          O(v4l2_event_ctrl, step) O(v4l2_event_ctrl, default_value)
          S(v4l2_event) O(v4l2_event, type) O(v4l2_event, u) O(v4l2_event, pending) O(v4l2_event, sequence)
          O(v4l2_event, timestamp) O(v4l2_event, id) O(v4l2_event, reserved)
          R(VIDIOC_QUERYMENU) R(VIDIOC_G_EXT_CTRLS) R(VIDIOC_S_EXT_CTRLS) R(VIDIOC_TRY_EXT_CTRLS)
          R(VIDIOC_SUBSCRIBE_EVENT) R(VIDIOC_DQEVENT)
          C(V4L2_CTRL_FLAG_GRABBED) C(V4L2_CTRL_FLAG_UPDATE) C(V4L2_CTRL_FLAG_VOLATILE) C(V4L2_CTRL_FLAG_EXECUTE_ON_WRITE)
          C(V4L2_CTRL_WHICH_CUR_VAL) C(V4L2_CTRL_WHICH_DEF_VAL) C(V4L2_EVENT_CTRL) C(V4L2_EVENT_CTRL_CH_VALUE)
          C(V4L2_EVENT_CTRL_CH_FLAGS) C(V4L2_EVENT_CTRL_CH_RANGE) C(V4L2_EVENT_SUB_FL_SEND_INITIAL) C(V4L2_EVENT_SUB_FL_ALLOW_FEEDBACK)
          C(V4L2_CID_BRIGHTNESS) C(V4L2_CID_AUTO_WHITE_BALANCE) C(V4L2_CID_AUTOGAIN) C(V4L2_CID_GAIN) C(V4L2_CID_HUE_AUTO)
          C(V4L2_CID_WHITE_BALANCE_TEMPERATURE) C(V4L2_CID_AUTOBRIGHTNESS) C(V4L2_CID_EXPOSURE_AUTO) C(V4L2_CID_EXPOSURE_ABSOLUTE)
          C(V4L2_CID_EXPOSURE_AUTO_PRIORITY) C(V4L2_CID_FOCUS_ABSOLUTE) C(V4L2_CID_FOCUS_AUTO) C(V4L2_CID_IRIS_ABSOLUTE)
          C(V4L2_CID_AUTO_N_PRESET_WHITE_BALANCE) C(V4L2_CID_ISO_SENSITIVITY) C(V4L2_CID_ISO_SENSITIVITY_AUTO)
          C(V4L2_CID_PAN_SPEED) C(V4L2_CID_TILT_SPEED) C(V4L2_CID_ZOOM_CONTINUOUS) C(V4L2_CID_CAMERA_SENSOR_ROTATION)
          C(V4L2_CID_COLORFX_CBCR) C(V4L2_CID_RED_BALANCE) C(V4L2_CID_BLUE_BALANCE) C(V4L2_CID_HUE)
          R(VIDIOC_QUERYCAP) R(VIDIOC_ENUM_FMT) R(VIDIOC_G_FMT) R(VIDIOC_G_CTRL) R(VIDIOC_QUERYCTRL)
          R(VIDIOC_ENUM_FRAMESIZES) R(VIDIOC_ENUM_FRAMEINTERVALS) R(VIDIOC_QUERY_EXT_CTRL)
          C(V4L2_CAP_VIDEO_CAPTURE) C(V4L2_CAP_VIDEO_OUTPUT) C(V4L2_CAP_VIDEO_CAPTURE_MPLANE) C(V4L2_CAP_VIDEO_OUTPUT_MPLANE)
          C(V4L2_CAP_VIDEO_M2M_MPLANE) C(V4L2_CAP_VIDEO_M2M) C(V4L2_CAP_EXT_PIX_FORMAT) C(V4L2_CAP_META_CAPTURE)
          C(V4L2_CAP_READWRITE) C(V4L2_CAP_STREAMING) C(V4L2_CAP_DEVICE_CAPS)
          C(V4L2_BUF_TYPE_VIDEO_CAPTURE) C(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE) C(V4L2_FMT_FLAG_COMPRESSED) C(V4L2_FMT_FLAG_EMULATED)
          C(V4L2_FRMSIZE_TYPE_DISCRETE) C(V4L2_FRMSIZE_TYPE_CONTINUOUS) C(V4L2_FRMSIZE_TYPE_STEPWISE)
          C(V4L2_FRMIVAL_TYPE_DISCRETE) C(V4L2_FRMIVAL_TYPE_CONTINUOUS) C(V4L2_FRMIVAL_TYPE_STEPWISE)
          C(V4L2_CTRL_TYPE_INTEGER) C(V4L2_CTRL_TYPE_BOOLEAN) C(V4L2_CTRL_TYPE_MENU) C(V4L2_CTRL_TYPE_BUTTON)
          C(V4L2_CTRL_TYPE_INTEGER64) C(V4L2_CTRL_TYPE_CTRL_CLASS) C(V4L2_CTRL_TYPE_STRING) C(V4L2_CTRL_TYPE_BITMASK)
          C(V4L2_CTRL_TYPE_INTEGER_MENU) C(V4L2_CTRL_FLAG_DISABLED) C(V4L2_CTRL_FLAG_READ_ONLY) C(V4L2_CTRL_FLAG_INACTIVE)
          C(V4L2_CTRL_FLAG_WRITE_ONLY) C(V4L2_CTRL_FLAG_NEXT_CTRL) C(V4L2_CTRL_FLAG_NEXT_COMPOUND)
          C(V4L2_PIX_FMT_MJPEG) C(V4L2_PIX_FMT_H264) C(V4L2_PIX_FMT_YUYV)
          return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, ulong>> Kernel = new(CompileAndRun);

    internal static string? FindGcc() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(dir => Path.Combine(dir, "gcc")).FirstOrDefault(File.Exists);

    public static TheoryData<string, int> Sizes() => new()
    {
        { "v4l2_capability", Unsafe.SizeOf<v4l2_capability>() },
        { "v4l2_fmtdesc", Unsafe.SizeOf<v4l2_fmtdesc>() },
        { "v4l2_frmsizeenum", Unsafe.SizeOf<v4l2_frmsizeenum>() },
        { "v4l2_frmsize_discrete", Unsafe.SizeOf<v4l2_frmsize_discrete>() },
        { "v4l2_frmsize_stepwise", Unsafe.SizeOf<v4l2_frmsize_stepwise>() },
        { "v4l2_frmivalenum", Unsafe.SizeOf<v4l2_frmivalenum>() },
        { "v4l2_fract", Unsafe.SizeOf<v4l2_fract>() },
        { "v4l2_frmival_stepwise", Unsafe.SizeOf<v4l2_frmival_stepwise>() },
        { "v4l2_format", v4l2_format.KernelSize },
        { "v4l2_pix_format", Unsafe.SizeOf<v4l2_pix_format>() },
        { "v4l2_queryctrl", Unsafe.SizeOf<v4l2_queryctrl>() },
        { "v4l2_query_ext_ctrl", Unsafe.SizeOf<v4l2_query_ext_ctrl>() },
        { "v4l2_control", Unsafe.SizeOf<v4l2_control>() },
        { "v4l2_querymenu", Unsafe.SizeOf<v4l2_querymenu>() },
        { "v4l2_ext_control", Unsafe.SizeOf<v4l2_ext_control>() },
        { "v4l2_ext_controls", Unsafe.SizeOf<v4l2_ext_controls>() },
        { "v4l2_event_subscription", Unsafe.SizeOf<v4l2_event_subscription>() },
        { "v4l2_event_ctrl", Unsafe.SizeOf<v4l2_event_ctrl>() },
        { "v4l2_event", Unsafe.SizeOf<v4l2_event>() },
    };

    [GccTheory]
    [MemberData(nameof(Sizes))]
    public void StructSize_MatchesKernelHeader(string name, int managedSize) =>
        Assert.Equal(Kernel.Value["sizeof " + name], (ulong)managedSize);

    public static TheoryData<string> OffsetKeys() => [.. ManagedOffsets().Keys];

    [GccTheory]
    [MemberData(nameof(OffsetKeys))]
    public void FieldOffset_MatchesKernelHeader(string field) =>
        Assert.Equal(Kernel.Value["offsetof " + field], (ulong)ManagedOffsets()[field]);

    [GccFact]
    public void EveryCheckedStruct_HasAllItsFieldsCompared()
    {
        // A new field added to a mirror without an offset check would slip through; the C side lists them all.
        var kernelFields = Kernel.Value.Keys.Where(k => k.StartsWith("offsetof ", StringComparison.Ordinal)).Select(k => k[9..]).Order().ToList();
        Assert.Equal(kernelFields, ManagedOffsets().Keys.Order().ToList());
    }

    public static TheoryData<string, uint> Requests() => new()
    {
        { "VIDIOC_QUERYCAP", Vdev.VIDIOC_QUERYCAP },
        { "VIDIOC_ENUM_FMT", Vdev.VIDIOC_ENUM_FMT },
        { "VIDIOC_G_FMT", Vdev.VIDIOC_G_FMT },
        { "VIDIOC_G_CTRL", Vdev.VIDIOC_G_CTRL },
        { "VIDIOC_QUERYCTRL", Vdev.VIDIOC_QUERYCTRL },
        { "VIDIOC_ENUM_FRAMESIZES", Vdev.VIDIOC_ENUM_FRAMESIZES },
        { "VIDIOC_ENUM_FRAMEINTERVALS", Vdev.VIDIOC_ENUM_FRAMEINTERVALS },
        { "VIDIOC_QUERY_EXT_CTRL", Vdev.VIDIOC_QUERY_EXT_CTRL },
        { "VIDIOC_QUERYMENU", Vdev.VIDIOC_QUERYMENU },
        { "VIDIOC_G_EXT_CTRLS", Vdev.VIDIOC_G_EXT_CTRLS },
        { "VIDIOC_S_EXT_CTRLS", Vdev.VIDIOC_S_EXT_CTRLS },
        { "VIDIOC_TRY_EXT_CTRLS", Vdev.VIDIOC_TRY_EXT_CTRLS },
        { "VIDIOC_SUBSCRIBE_EVENT", Vdev.VIDIOC_SUBSCRIBE_EVENT },
        { "VIDIOC_DQEVENT", Vdev.VIDIOC_DQEVENT },
    };

    [GccTheory]
    [MemberData(nameof(Requests))]
    public void RequestCode_MatchesKernelHeader(string name, uint code) =>
        Assert.Equal(Kernel.Value["request " + name], code);

    public static TheoryData<string, uint> Constants() => new()
    {
        { "V4L2_CAP_VIDEO_CAPTURE", Vdev.CapVideoCapture },
        { "V4L2_CAP_VIDEO_OUTPUT", Vdev.CapVideoOutput },
        { "V4L2_CAP_VIDEO_CAPTURE_MPLANE", Vdev.CapVideoCaptureMplane },
        { "V4L2_CAP_VIDEO_OUTPUT_MPLANE", Vdev.CapVideoOutputMplane },
        { "V4L2_CAP_VIDEO_M2M_MPLANE", Vdev.CapVideoM2mMplane },
        { "V4L2_CAP_VIDEO_M2M", Vdev.CapVideoM2m },
        { "V4L2_CAP_EXT_PIX_FORMAT", Vdev.CapExtPixFormat },
        { "V4L2_CAP_META_CAPTURE", Vdev.CapMetaCapture },
        { "V4L2_CAP_READWRITE", Vdev.CapReadWrite },
        { "V4L2_CAP_STREAMING", Vdev.CapStreaming },
        { "V4L2_CAP_DEVICE_CAPS", Vdev.CapDeviceCaps },
        { "V4L2_BUF_TYPE_VIDEO_CAPTURE", Vdev.BufTypeVideoCapture },
        { "V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE", Vdev.BufTypeVideoCaptureMplane },
        { "V4L2_FMT_FLAG_COMPRESSED", Vdev.FmtFlagCompressed },
        { "V4L2_FMT_FLAG_EMULATED", Vdev.FmtFlagEmulated },
        { "V4L2_FRMSIZE_TYPE_DISCRETE", Vdev.FrmSizeTypeDiscrete },
        { "V4L2_FRMSIZE_TYPE_CONTINUOUS", Vdev.FrmSizeTypeContinuous },
        { "V4L2_FRMSIZE_TYPE_STEPWISE", Vdev.FrmSizeTypeStepwise },
        { "V4L2_FRMIVAL_TYPE_DISCRETE", Vdev.FrmIvalTypeDiscrete },
        { "V4L2_FRMIVAL_TYPE_CONTINUOUS", Vdev.FrmIvalTypeContinuous },
        { "V4L2_FRMIVAL_TYPE_STEPWISE", Vdev.FrmIvalTypeStepwise },
        { "V4L2_CTRL_TYPE_INTEGER", Vdev.CtrlTypeInteger },
        { "V4L2_CTRL_TYPE_BOOLEAN", Vdev.CtrlTypeBoolean },
        { "V4L2_CTRL_TYPE_MENU", Vdev.CtrlTypeMenu },
        { "V4L2_CTRL_TYPE_BUTTON", Vdev.CtrlTypeButton },
        { "V4L2_CTRL_TYPE_INTEGER64", Vdev.CtrlTypeInteger64 },
        { "V4L2_CTRL_TYPE_CTRL_CLASS", Vdev.CtrlTypeCtrlClass },
        { "V4L2_CTRL_TYPE_STRING", Vdev.CtrlTypeString },
        { "V4L2_CTRL_TYPE_BITMASK", Vdev.CtrlTypeBitmask },
        { "V4L2_CTRL_TYPE_INTEGER_MENU", Vdev.CtrlTypeIntegerMenu },
        { "V4L2_CTRL_FLAG_DISABLED", Vdev.CtrlFlagDisabled },
        { "V4L2_CTRL_FLAG_READ_ONLY", Vdev.CtrlFlagReadOnly },
        { "V4L2_CTRL_FLAG_INACTIVE", Vdev.CtrlFlagInactive },
        { "V4L2_CTRL_FLAG_WRITE_ONLY", Vdev.CtrlFlagWriteOnly },
        { "V4L2_CTRL_FLAG_NEXT_CTRL", Vdev.CtrlFlagNextCtrl },
        { "V4L2_CTRL_FLAG_NEXT_COMPOUND", Vdev.CtrlFlagNextCompound },
        { "V4L2_CTRL_FLAG_GRABBED", Vdev.CtrlFlagGrabbed },
        { "V4L2_CTRL_FLAG_UPDATE", Vdev.CtrlFlagUpdate },
        { "V4L2_CTRL_FLAG_VOLATILE", Vdev.CtrlFlagVolatile },
        { "V4L2_CTRL_FLAG_EXECUTE_ON_WRITE", Vdev.CtrlFlagExecuteOnWrite },
        { "V4L2_CTRL_WHICH_CUR_VAL", Vdev.CtrlWhichCurVal },
        { "V4L2_CTRL_WHICH_DEF_VAL", Vdev.CtrlWhichDefVal },
        { "V4L2_EVENT_CTRL", Vdev.EventCtrl },
        { "V4L2_EVENT_CTRL_CH_VALUE", Vdev.EventCtrlChValue },
        { "V4L2_EVENT_CTRL_CH_FLAGS", Vdev.EventCtrlChFlags },
        { "V4L2_EVENT_CTRL_CH_RANGE", Vdev.EventCtrlChRange },
        { "V4L2_EVENT_SUB_FL_SEND_INITIAL", Vdev.EventSubFlSendInitial },
        { "V4L2_EVENT_SUB_FL_ALLOW_FEEDBACK", Vdev.EventSubFlAllowFeedback },
        { "V4L2_CID_BRIGHTNESS", ControlNames.Brightness },
        { "V4L2_CID_AUTO_WHITE_BALANCE", ControlNames.WhiteBalanceAutomatic },
        { "V4L2_CID_AUTOGAIN", ControlNames.GainAutomatic },
        { "V4L2_CID_GAIN", ControlNames.Gain },
        { "V4L2_CID_HUE_AUTO", ControlNames.HueAutomatic },
        { "V4L2_CID_WHITE_BALANCE_TEMPERATURE", ControlNames.WhiteBalanceTemperature },
        { "V4L2_CID_AUTOBRIGHTNESS", ControlNames.BrightnessAutomatic },
        { "V4L2_CID_EXPOSURE_AUTO", ControlNames.AutoExposure },
        { "V4L2_CID_EXPOSURE_ABSOLUTE", ControlNames.ExposureTimeAbsolute },
        { "V4L2_CID_EXPOSURE_AUTO_PRIORITY", ControlNames.ExposureDynamicFramerate },
        { "V4L2_CID_FOCUS_ABSOLUTE", ControlNames.FocusAbsolute },
        { "V4L2_CID_FOCUS_AUTO", ControlNames.FocusAutomaticContinuous },
        { "V4L2_CID_IRIS_ABSOLUTE", ControlNames.IrisAbsolute },
        { "V4L2_CID_AUTO_N_PRESET_WHITE_BALANCE", ControlNames.WhiteBalanceAutoPreset },
        { "V4L2_CID_ISO_SENSITIVITY", ControlNames.IsoSensitivity },
        { "V4L2_CID_ISO_SENSITIVITY_AUTO", ControlNames.IsoSensitivityAuto },
        { "V4L2_CID_PAN_SPEED", ControlNames.IdOf("pan_speed") },
        { "V4L2_CID_TILT_SPEED", ControlNames.IdOf("tilt_speed") },
        { "V4L2_CID_ZOOM_CONTINUOUS", ControlNames.IdOf("zoom_continuous") },
        { "V4L2_CID_CAMERA_SENSOR_ROTATION", ControlNames.IdOf("camera_sensor_rotation") },
        { "V4L2_CID_COLORFX_CBCR", ControlNames.IdOf("color_effects_cbcr") },
        { "V4L2_CID_RED_BALANCE", ControlNames.RedBalance },
        { "V4L2_CID_BLUE_BALANCE", ControlNames.BlueBalance },
        { "V4L2_CID_HUE", ControlNames.Hue },
        { "V4L2_PIX_FMT_MJPEG", Vdev.FourCc("MJPG") },
        { "V4L2_PIX_FMT_H264", Vdev.FourCc("H264") },
        { "V4L2_PIX_FMT_YUYV", Vdev.FourCc("YUYV") },
    };

    [GccTheory]
    [MemberData(nameof(Constants))]
    public void Constant_MatchesKernelHeader(string name, uint value) =>
        Assert.Equal(Kernel.Value["const " + name], value);

    private static Dictionary<string, int> ManagedOffsets()
    {
        var offsets = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add<T>(string structName, params string[] fields)
        {
            foreach (var field in fields)
            {
                offsets[$"{structName}.{field}"] = (int)Marshal.OffsetOf<T>(field);
            }
        }

        Add<v4l2_capability>("v4l2_capability", "driver", "card", "bus_info", "version", "capabilities", "device_caps", "reserved");
        Add<v4l2_fmtdesc>("v4l2_fmtdesc", "index", "type", "flags", "description", "pixelformat", "mbus_code", "reserved");
        Add<v4l2_frmsizeenum>("v4l2_frmsizeenum", "index", "pixel_format", "type", "discrete", "stepwise", "reserved");
        Add<v4l2_frmsize_stepwise>("v4l2_frmsize_stepwise", "min_width", "max_width", "step_width", "min_height", "max_height", "step_height");
        Add<v4l2_frmivalenum>("v4l2_frmivalenum", "index", "pixel_format", "width", "height", "type", "discrete", "stepwise", "reserved");
        Add<v4l2_frmival_stepwise>("v4l2_frmival_stepwise", "min", "max", "step");
        Add<v4l2_pix_format>("v4l2_pix_format", "width", "height", "pixelformat", "field", "bytesperline", "sizeimage", "colorspace", "priv", "flags", "ycbcr_enc", "quantization", "xfer_func");
        Add<v4l2_queryctrl>("v4l2_queryctrl", "id", "type", "name", "minimum", "maximum", "step", "default_value", "flags", "reserved");
        Add<v4l2_query_ext_ctrl>("v4l2_query_ext_ctrl", "id", "type", "name", "minimum", "maximum", "step", "default_value", "flags", "elem_size", "elems", "nr_of_dims", "dims", "reserved");
        Add<v4l2_control>("v4l2_control", "id", "value");
        Add<v4l2_querymenu>("v4l2_querymenu", "id", "index", "name", "value", "reserved");
        Add<v4l2_ext_control>("v4l2_ext_control", "id", "size", "reserved2", "value", "value64");
        Add<v4l2_ext_controls>("v4l2_ext_controls", "which", "count", "error_idx", "request_fd", "reserved", "controls");
        Add<v4l2_event_subscription>("v4l2_event_subscription", "type", "id", "flags", "reserved");
        Add<v4l2_event_ctrl>("v4l2_event_ctrl", "changes", "type", "value", "value64", "flags", "minimum", "maximum", "step", "default_value");
        Add<v4l2_event>("v4l2_event", "type", "pending", "sequence", "id", "reserved");

        // The event's anonymous union is "u" in C; the mirror exposes its members (ctrl, data) at the same offset,
        // and the timespec as two longs starting where the header's timestamp is.
        offsets["v4l2_event.u"] = (int)Marshal.OffsetOf<v4l2_event>("ctrl");
        offsets["v4l2_event.timestamp"] = (int)Marshal.OffsetOf<v4l2_event>("timestamp_sec");

        // v4l2_format's union offset depends on the pointer size; the mirror computes it, the header fixes it.
        offsets["v4l2_format.type"] = (int)Marshal.OffsetOf<v4l2_format>("type");
        offsets["v4l2_format.fmt"] = v4l2_format.UnionOffset;
        return offsets;
    }

    private static Dictionary<string, ulong> CompileAndRun()
    {
        var dir = Directory.CreateTempSubdirectory("v4l2-abi-");
        try
        {
            var source = Path.Combine(dir.FullName, "abi.c");
            var binary = Path.Combine(dir.FullName, "abi");
            File.WriteAllText(source, Program);
            Run(FindGcc()!, ["-Wall", "-o", binary, source]);
            var output = Run(binary, []);
            var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                values[parts[0] + " " + parts[1]] = ulong.Parse(parts[2], CultureInfo.InvariantCulture);
            }

            return values;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    internal static string Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException(file + " did not finish");
        }

        Assert.True(process.ExitCode == 0, $"{file} failed: {stderr}");
        return stdout.GetAwaiter().GetResult();
    }
}

/// <summary>The theory flavour of <see cref="GccFactAttribute"/>.</summary>
public sealed class GccTheoryAttribute : TheoryAttribute
{
    public GccTheoryAttribute()
    {
        Skip = new GccFactAttribute().Skip;
    }
}
