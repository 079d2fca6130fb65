using CameraService.Core.Cameras.Controls;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary><c>set_camera_format</c> (issue 20): what a camera captures.</summary>
internal sealed class CameraFormatMethods(CameraMethods cameras, CameraFormatService formats) : IRpcMethodProvider
{
    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "set_camera_format",
            RpcRole.Operator,
            "Chooses the pixel format, resolution and frame rate a camera captures (validated against its capabilities, persisted per camera); refused while it records.",
            [
                CameraMethods.DeviceParam,
                new RpcParam("format", RpcParamType.String, "Fourcc as listed by get_camera_capabilities, e.g. MJPG; absent keeps the current one.") { Pattern = "^[A-Za-z0-9 ]{1,4}(-BE)?$" },
                new RpcParam("resolution", RpcParamType.String, "WxH as listed by get_camera_capabilities; absent keeps the current one when the format offers it.") { Pattern = "^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$" },
                new RpcParam("fps", RpcParamType.Number, "Frames per second offered at that resolution; absent keeps the current rate when offered, else the highest.") { Minimum = 0.1, Maximum = 1000 },
            ],
            CameraFormatsJsonContext.Default.CameraFormatResult,
            [RpcErrorCodes.InvalidParams, RpcErrorCodes.NotFound, RpcErrorCodes.InvalidState, RpcErrorCodes.Unsupported, RpcErrorCodes.DependencyFailed],
            (_, p, _) => ValueTask.FromResult(RpcResult.From(
                formats.Set(cameras.Find(p), p.GetString("format"), p.GetString("resolution"), p.GetDouble("fps")),
                CameraFormatsJsonContext.Default.CameraFormatResult)));
    }
}
