using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Media.Schedules;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary>
/// <c>set_recording_schedule</c>, <c>get_recording_schedule</c>, <c>list_recording_schedules</c> (api-contract.md §8.2):
/// weekly windows in a time zone, stored per camera stable id and driven by <see cref="RecordingScheduler"/>.
/// </summary>
internal sealed class RecordingScheduleMethods(
    CameraMethods cameras,
    CameraRegistry registry,
    RecordingScheduleStore store,
    RecordingScheduler scheduler,
    TimeProvider time) : IRpcMethodProvider
{
    private static readonly RpcParam Windows = new("windows", RpcParamType.ObjectArray, "Weekly windows; an end at or before the start ends on the next day.", Required: true)
    {
        Maximum = ScheduleCalendar.MaxWindows,
        Properties =
        [
            new RpcParam("days", RpcParamType.StringArray, "Days the window starts on.", Required: true) { Enum = ScheduleCalendar.DayNames, Minimum = 1 },
            new RpcParam("start", RpcParamType.String, "Wall-clock start, HH:MM.", Required: true) { Pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$" },
            new RpcParam("end", RpcParamType.String, "Wall-clock end, HH:MM (24:00 = end of the day).", Required: true) { Pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$" },
        ],
    };

    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "set_recording_schedule",
            RpcRole.Operator,
            "Stores the camera's weekly recording windows (in an IANA time zone); inside a window the camera records.",
            [
                CameraMethods.DeviceParam,
                new RpcParam("enabled", RpcParamType.Boolean, "Whether the schedule drives recording.", Required: true),
                Windows,
                new RpcParam("time_zone", RpcParamType.String, "IANA zone id (Europe/Berlin); absent = the box's zone.") { MaxLength = 64 },
            ],
            ScheduleJsonContext.Default.RecordingScheduleResult,
            [RpcErrorCodes.InvalidParams, RpcErrorCodes.NotFound],
            (_, p, _) =>
            {
                var camera = cameras.Find(p);
                var schedule = Parse(p);
                ScheduleCalendar.Validate(schedule, time.LocalTimeZone);
                store.Set(camera.Binding.Source, camera.Binding.StableId, schedule);
                return ValueTask.FromResult(RpcResult.From(Describe(camera, schedule), ScheduleJsonContext.Default.RecordingScheduleResult));
            });

        yield return new RpcMethod(
            "get_recording_schedule",
            RpcRole.Viewer,
            "The camera's recording schedule (disabled with no windows when none was set) and whether a window is open now.",
            [CameraMethods.DeviceParam],
            ScheduleJsonContext.Default.RecordingScheduleResult,
            [RpcErrorCodes.NotFound],
            (_, p, _) =>
            {
                var camera = cameras.Find(p);
                var schedule = store.Get(camera.Binding.Source, camera.Binding.StableId) ?? new RecordingSchedule(false, [], null);
                return ValueTask.FromResult(RpcResult.From(Describe(camera, schedule), ScheduleJsonContext.Default.RecordingScheduleResult));
            });

        yield return new RpcMethod(
            "list_recording_schedules",
            RpcRole.Viewer,
            "Every camera that has a recording schedule (within the caller's cameras).",
            [],
            ScheduleJsonContext.Default.RecordingScheduleListResult,
            [],
            (c, _, _) =>
            {
                var scope = c.Session.Principal?.Scope ?? CameraScope.All;
                var list = new List<RecordingScheduleResult>();
                foreach (var camera in registry.Cameras.Where(c => scope.Allows(c.Id)))
                {
                    if (store.Get(camera.Binding.Source, camera.Binding.StableId) is { } schedule)
                    {
                        list.Add(Describe(camera, schedule));
                    }
                }

                return ValueTask.FromResult(RpcResult.From(new RecordingScheduleListResult(list, list.Count), ScheduleJsonContext.Default.RecordingScheduleListResult));
            });
    }

    private static RecordingSchedule Parse(RpcParams p)
    {
        var windows = new List<ScheduleWindow>();
        if (p.TryGet("windows", out var array))
        {
            foreach (var item in array.EnumerateArray())
            {
                var w = new RpcParams(item, true);
                windows.Add(new ScheduleWindow([.. (w.GetStringArray("days") ?? []).Distinct(StringComparer.Ordinal)], w.GetRequiredString("start"), w.GetRequiredString("end")));
            }
        }

        return new RecordingSchedule(p.GetBoolean("enabled") ?? false, windows, p.GetString("time_zone"));
    }

    private RecordingScheduleResult Describe(CameraView camera, RecordingSchedule schedule)
    {
        var open = scheduler.OpenWindow(schedule);
        var next = scheduler.NextWindow(schedule);
        return new RecordingScheduleResult(
            camera.Id,
            schedule.Enabled,
            schedule.Windows,
            schedule.TimeZone ?? time.LocalTimeZone.Id,
            open is not null,
            scheduler.IsHeldOff(camera.Binding.Source, camera.Binding.StableId),
            // A stretch that reaches the end of the week looked at (e.g. every day 00:00–24:00) does not close in sight.
            open is { } o && o.End < time.GetUtcNow().AddDays(7) ? Iso(o.End) : null,
            next is { } n ? Iso(n.Start) : null);
    }

    private static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>A camera's schedule on the wire, with its state now.</summary>
/// <param name="Device">The camera id.</param>
/// <param name="Enabled">Whether the schedule drives recording.</param>
/// <param name="Windows">The weekly windows.</param>
/// <param name="TimeZone">The zone the windows are in (the box's zone when none was given).</param>
/// <param name="Active">A window is open now.</param>
/// <param name="HeldOff">A client's <c>stop_recording</c> holds the schedule off until the next window.</param>
/// <param name="WindowEnd">When the open window ends (UTC, ISO 8601), or null when closed or not within a week.</param>
/// <param name="NextStart">When the next window starts (UTC, ISO 8601; within a week), or null.</param>
internal sealed record RecordingScheduleResult(
    string Device,
    bool Enabled,
    IReadOnlyList<ScheduleWindow> Windows,
    string TimeZone,
    bool Active,
    bool HeldOff,
    [property: DataType(DataType.DateTime)] string? WindowEnd,
    [property: DataType(DataType.DateTime)] string? NextStart);

/// <summary>Result of <c>list_recording_schedules</c>.</summary>
internal sealed record RecordingScheduleListResult(IReadOnlyList<RecordingScheduleResult> Schedules, int Total);
