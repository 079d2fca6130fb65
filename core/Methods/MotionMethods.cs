using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CameraService.Abstractions;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Media.Motion;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary>
/// <c>set_motion_detection</c>, <c>get_motion_detection</c>, <c>list_motion_detection</c>: per-camera motion detection
/// settings, stored per camera stable id and acted on by <see cref="MotionMonitor"/> (docs/recording.md).
/// </summary>
internal sealed class MotionMethods(
    CameraMethods cameras,
    CameraRegistry registry,
    MotionSettingsStore store,
    MotionMonitor monitor) : IRpcMethodProvider
{
    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "set_motion_detection",
            RpcRole.Operator,
            "Turns the camera's motion detection on or off and sets how sensitive it is and whether motion records; absent fields keep their stored value.",
            [
                CameraMethods.DeviceParam,
                new RpcParam("enabled", RpcParamType.Boolean, "Whether the camera's stream is watched for motion.", Required: true),
                new RpcParam("threshold", RpcParamType.Integer, "How much a pixel's brightness (0-255) must change to count as changed; lower is more sensitive.")
                { Minimum = MotionSettings.MinThreshold, Maximum = MotionSettings.MaxThreshold, Default = MotionSettings.Default.Threshold },
                new RpcParam("min_area", RpcParamType.Number, "Percent of the picture that must change for motion; lower is more sensitive.")
                { Minimum = MotionSettings.MinMinArea, Maximum = MotionSettings.MaxMinArea, Default = MotionSettings.Default.MinArea },
                new RpcParam("record", RpcParamType.Boolean, "Whether motion starts a recording.") { Default = MotionSettings.Default.Record },
                new RpcParam("pre_seconds", RpcParamType.Integer, "Seconds before the motion a recording includes (pre-event buffer).")
                { Minimum = 0, Maximum = MotionSettings.MaxPreSeconds, Default = MotionSettings.Default.PreSeconds },
                new RpcParam("post_seconds", RpcParamType.Integer, "Seconds a recording goes on after the last motion.")
                { Minimum = 0, Maximum = MotionSettings.MaxPostSeconds, Default = MotionSettings.Default.PostSeconds },
            ],
            MotionJsonContext.Default.MotionDetectionResult,
            [RpcErrorCodes.InvalidParams, RpcErrorCodes.NotFound, RpcErrorCodes.Unsupported],
            (_, p, _) =>
            {
                var camera = cameras.Find(p);
                var key = (camera.Binding.Source, camera.Binding.StableId);
                var current = store.Get(key.Source, key.StableId) ?? MotionSettings.Default;
                var settings = new MotionSettings(
                    p.GetBoolean("enabled") ?? false,
                    (int)(p.GetInt64("threshold") ?? current.Threshold),
                    p.GetDouble("min_area") ?? current.MinArea,
                    p.GetBoolean("record") ?? current.Record,
                    (int)(p.GetInt64("pre_seconds") ?? current.PreSeconds),
                    (int)(p.GetInt64("post_seconds") ?? current.PostSeconds));
                if (settings.Enabled && monitor.FrameSource is null)
                {
                    throw new UnsupportedFeatureException("motion_detection",
                        $"The stream backend '{monitor.BackendName}' does not deliver video frames for motion detection; choose one that does with CameraService:StreamBackend (docs/recording.md, Motion detection).");
                }

                store.Set(key.Source, key.StableId, settings);
                return ValueTask.FromResult(RpcResult.From(Describe(camera, settings), MotionJsonContext.Default.MotionDetectionResult));
            });

        yield return new RpcMethod(
            "get_motion_detection",
            RpcRole.Viewer,
            "The camera's motion detection settings (off with the defaults when none were set) and whether it sees motion now.",
            [CameraMethods.DeviceParam],
            MotionJsonContext.Default.MotionDetectionResult,
            [RpcErrorCodes.NotFound],
            (_, p, _) =>
            {
                var camera = cameras.Find(p);
                var settings = store.Get(camera.Binding.Source, camera.Binding.StableId) ?? MotionSettings.Default;
                return ValueTask.FromResult(RpcResult.From(Describe(camera, settings), MotionJsonContext.Default.MotionDetectionResult));
            });

        yield return new RpcMethod(
            "list_motion_detection",
            RpcRole.Viewer,
            "Every camera's motion detection (within the caller's cameras), off ones included.",
            [],
            MotionJsonContext.Default.MotionDetectionListResult,
            [],
            (c, _, _) =>
            {
                var scope = c.Session.Principal?.Scope ?? CameraScope.All;
                var list = registry.Cameras
                    .Where(camera => scope.Allows(camera.Id))
                    .Select(camera => Describe(camera, store.Get(camera.Binding.Source, camera.Binding.StableId) ?? MotionSettings.Default))
                    .ToList();
                return ValueTask.FromResult(RpcResult.From(new MotionDetectionListResult(list, list.Count), MotionJsonContext.Default.MotionDetectionListResult));
            });
    }

    private MotionDetectionResult Describe(CameraView camera, MotionSettings settings)
    {
        var status = monitor.Status(camera);
        return new MotionDetectionResult(
            camera.Id,
            settings.Enabled,
            settings.Threshold,
            settings.MinArea,
            settings.Record,
            settings.PreSeconds,
            settings.PostSeconds,
            status.State,
            status.Motion,
            status.LastMotion is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : null,
            status.LastError);
    }
}

/// <summary>A camera's motion detection on the wire: its settings and what the monitor does now.</summary>
/// <param name="Device">The camera id.</param>
/// <param name="Enabled">Whether the stream is watched for motion.</param>
/// <param name="Threshold">Brightness change (1–255) that counts a pixel as changed.</param>
/// <param name="MinArea">Percent of the picture that must change.</param>
/// <param name="Record">Whether motion starts a recording.</param>
/// <param name="PreSeconds">Seconds before the motion a recording includes.</param>
/// <param name="PostSeconds">Seconds a recording goes on after the last motion.</param>
/// <param name="State">off, waiting (camera not connected), starting, running, retrying (the reader failed; see last_error).</param>
/// <param name="Motion">Motion is being seen now.</param>
/// <param name="LastMotion">When motion was last seen (UTC, ISO 8601), or null.</param>
/// <param name="LastError">Why the frame reader failed last, or null.</param>
internal sealed record MotionDetectionResult(
    string Device,
    bool Enabled,
    int Threshold,
    double MinArea,
    bool Record,
    int PreSeconds,
    int PostSeconds,
    [property: AllowedValues("off", "waiting", "starting", "running", "retrying")] string State,
    bool Motion,
    [property: DataType(DataType.DateTime)] string? LastMotion,
    string? LastError);

/// <summary>Result of <c>list_motion_detection</c>.</summary>
internal sealed record MotionDetectionListResult(IReadOnlyList<MotionDetectionResult> Cameras, int Total);
