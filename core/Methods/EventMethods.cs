using CameraService.Core.Events;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary><c>subscribe_events</c>, <c>unsubscribe_events</c>, <c>get_subscription_stats</c>.</summary>
internal sealed class EventMethods(EventHub hub, TimeProvider timeProvider) : IRpcMethodProvider
{
    private static readonly RpcParam DeviceFilter = new("device", RpcParamType.String, "Only events of this camera.") { Pattern = CameraMethods.DevicePattern, Nullable = true };

    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "subscribe_events",
            RpcRole.Viewer,
            "Replaces the session's subscription. Topics: " + string.Join(", ", EventTopicNames.ValidNames) + ".",
            [
                new RpcParam("topics", RpcParamType.StringArray, "Topics or aliases to receive (at least one).", Required: true) { MaxLength = 64, Minimum = 1 },
                new RpcParam("filters", RpcParamType.Object, "Optional filters.") { Properties = [DeviceFilter], Nullable = true },
            ],
            CoreJsonContext.Default.SubscribeResult,
            [RpcErrorCodes.InvalidParams],
            Subscribe);

        yield return new RpcMethod(
            "unsubscribe_events",
            RpcRole.Viewer,
            "Removes topics from the session's subscription (all when topics is absent).",
            [new RpcParam("topics", RpcParamType.StringArray, "Topics or aliases to remove; absent means all.") { MaxLength = 64, Nullable = true }],
            CoreJsonContext.Default.UnsubscribeResult,
            [RpcErrorCodes.InvalidParams],
            Unsubscribe);

        yield return new RpcMethod(
            "get_subscription_stats",
            RpcRole.Viewer,
            "Subscription counts over all sessions and this session's topics.",
            [],
            CoreJsonContext.Default.SubscriptionStatsResult,
            [],
            Stats);
    }

    private static EventTopics ParseTopics(IReadOnlyList<string> names)
    {
        var set = EventTopics.None;
        foreach (var name in names)
        {
            if (!EventTopicNames.TryParse(name, out var topics))
            {
                throw new RpcErrorException(
                    RpcErrorCodes.InvalidParams,
                    RpcErrorException.Item("param", "topics"),
                    RpcErrorException.Item("rule", "unknown_topic:" + name),
                    RpcErrorException.Item("valid_topics", EventTopicNames.ValidNames));
            }

            set |= topics;
        }

        return set;
    }

    private ValueTask<RpcResult> Subscribe(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken)
    {
        var topics = ParseTopics(parameters.GetStringArray("topics") ?? []);
        var device = parameters.GetObject("filters").GetString("device");
        context.Session.Subscription = new Subscription(topics, device, Explicit: true);
        var result = new SubscribeResult(true, EventTopicNames.Names(topics), new SubscriptionFilters(device));
        return ValueTask.FromResult(RpcResult.From(result, CoreJsonContext.Default.SubscribeResult));
    }

    private ValueTask<RpcResult> Unsubscribe(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken)
    {
        var names = parameters.GetStringArray("topics");
        var current = context.Session.EffectiveTopics(timeProvider.GetUtcNow());
        var removed = names is null ? current : ParseTopics(names) & current;
        var previous = context.Session.Subscription;
        context.Session.Subscription = new Subscription(current & ~removed, previous.Device, Explicit: true);
        var result = new UnsubscribeResult(true, EventTopicNames.Names(removed));
        return ValueTask.FromResult(RpcResult.From(result, CoreJsonContext.Default.UnsubscribeResult));
    }

    private ValueTask<RpcResult> Stats(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken)
    {
        var (total, active, counts) = hub.Stats();
        var result = new SubscriptionStatsResult(
            new GlobalSubscriptionStats(total, active, counts),
            EventTopicNames.Names(context.Session.EffectiveTopics(timeProvider.GetUtcNow())),
            context.Session.SessionId);
        return ValueTask.FromResult(RpcResult.From(result, CoreJsonContext.Default.SubscriptionStatsResult));
    }
}
