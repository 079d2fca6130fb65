using CameraService.Core.Cameras.Controls;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary><c>get_camera_controls</c>, <c>set_camera_controls</c>, <c>reset_camera_controls</c> (api-contract.md §8.3).</summary>
internal sealed class CameraControlMethods(CameraMethods cameras, CameraControlsService controls) : IRpcMethodProvider
{
    private static readonly int[] Errors = [RpcErrorCodes.NotFound, RpcErrorCodes.InvalidState, RpcErrorCodes.Unsupported, RpcErrorCodes.DependencyFailed];

    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "get_camera_controls",
            RpcRole.Viewer,
            "Every control of a camera (brightness, exposure, focus, white balance, pan/tilt/zoom…) with its range, menu, flags and current value.",
            [CameraMethods.DeviceParam],
            CameraControlsJsonContext.Default.CameraControlsResult,
            Errors,
            async (_, p, ct) => RpcResult.From(
                await controls.GetAsync(cameras.Find(p), ct).ConfigureAwait(false), CameraControlsJsonContext.Default.CameraControlsResult));

        yield return new RpcMethod(
            "set_camera_controls",
            RpcRole.Operator,
            "Sets controls by name, all or nothing (automatic modes first); persisted per camera and re-applied on replug and restart unless persist is false.",
            [
                CameraMethods.DeviceParam,
                new RpcParam("controls", RpcParamType.Object, "Values by control name: integers, true/false for booleans, a menu entry's value or label.", Required: true) { FreeMap = true },
                new RpcParam("persist", RpcParamType.Boolean, "Keep the values for this camera across replug and restart.") { Default = true },
            ],
            CameraControlsJsonContext.Default.CameraControlsSetResult,
            [RpcErrorCodes.InvalidParams, .. Errors],
            async (_, p, ct) =>
            {
                var camera = cameras.Find(p);
                p.TryGet("controls", out var requested);
                var result = await controls.SetAsync(camera, requested, p.GetBoolean("persist") ?? true, ct).ConfigureAwait(false);
                return RpcResult.From(result, CameraControlsJsonContext.Default.CameraControlsSetResult);
            });

        yield return new RpcMethod(
            "reset_camera_controls",
            RpcRole.Operator,
            "Restores the driver's defaults (automatic modes first) and forgets the persisted values of the camera.",
            [CameraMethods.DeviceParam],
            CameraControlsJsonContext.Default.CameraControlsResetResult,
            Errors,
            async (_, p, ct) => RpcResult.From(
                await controls.ResetAsync(cameras.Find(p), ct).ConfigureAwait(false), CameraControlsJsonContext.Default.CameraControlsResetResult));
    }
}
