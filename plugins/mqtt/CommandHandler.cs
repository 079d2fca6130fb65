using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// Commands (docs/mqtt.md, "Commands"): <c>…/recording/set</c> and <c>…/snapshot/set</c> are queued (at most 64
/// waiting), run one at a time through the commands session, and answered on <c>…/result</c> and, for an MQTT 5
/// request, on its response topic with its correlation data. With commands disabled they are counted and ignored.
/// </summary>
internal sealed class CommandHandler(MqttConnection connection, StatePublisher state, MqttTopics topics, MqttOptions options, MqttMetrics metrics, ILogger logger)
{
    private readonly Channel<CommandMessage> _queue = Channel.CreateBounded<CommandMessage>(new BoundedChannelOptions(64) { SingleReader = true });

    /// <summary>Queues the command a message on <c>&lt;base&gt;/cameras/&lt;camera&gt;/&lt;tail&gt;</c> carries; other tails are not commands.</summary>
    public void Receive(string camera, string tail, MqttApplicationMessage message)
    {
        var command = tail switch
        {
            "recording/set" => "recording",
            "snapshot/set" => "snapshot",
            _ => null,
        };
        if (command is null)
        {
            return;
        }

        if (!options.Commands.Enabled)
        {
            metrics.Command(command, "ignored");
            Log.CommandIgnored(logger, message.Topic);
            return;
        }

        if (!_queue.Writer.TryWrite(new CommandMessage(camera, command, message.Payload.ToArray(), message.ResponseTopic, message.CorrelationData)))
        {
            metrics.Command(command, "dropped");
            Log.CommandDropped(logger, message.Topic);
        }
    }

    /// <summary>Runs the queued commands as <paramref name="session"/> until <paramref name="stop"/>.</summary>
    public Task RunAsync(ApiSession session, CancellationToken stop) =>
        QueueReader.DrainAsync(_queue.Reader, (command, token) => ExecuteAsync(session, command, token), c => $"the {c.Command} command for {c.Camera}", logger, stop);

    /// <summary>No more commands are taken (the bridge stops); later ones count as dropped.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task ExecuteAsync(ApiSession session, CommandMessage command, CancellationToken stop)
    {
        byte[] answer;
        string outcome;
        if (command.Command == "recording")
        {
            var (parsed, invalid) = CommandPayload.ParseRecording(command.Payload);
            if (invalid is not null)
            {
                answer = InvalidParams(invalid);
                outcome = "invalid";
            }
            else
            {
                var response = parsed!.Start
                    ? await session.CallAsync("start_recording", w =>
                    {
                        w.WriteString("device", command.Camera);
                        if (parsed.DurationSeconds is { } seconds)
                        {
                            w.WriteNumber("duration", seconds);
                        }
                    }, stop).ConfigureAwait(false)
                    : await session.CallAsync("stop_recording", w => w.WriteString("device", command.Camera), stop).ConfigureAwait(false);
                (answer, outcome) = Answer(response);
                state.RequestRefresh();
            }
        }
        else
        {
            var response = await session.CallAsync("take_snapshot", w => w.WriteString("device", command.Camera), stop).ConfigureAwait(false);
            (answer, outcome) = Answer(response);
        }

        metrics.Command(command.Command, outcome);
        Log.CommandDone(logger, command.Command, command.Camera, outcome);
        var resultTopic = command.Command == "recording" ? topics.RecordingResult(command.Camera) : topics.SnapshotResult(command.Camera);
        await connection.PublishAsync(resultTopic, answer, retain: false, "result", stop).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(command.ResponseTopic))
        {
            // MQTT 5 request/response: also answer where the requester asked, with its correlation data.
            await connection.PublishAsync(command.ResponseTopic, answer, retain: false, "result", stop, command.CorrelationData).ConfigureAwait(false);
        }
    }

    /// <summary><c>{"result": …}</c> or <c>{"error": …}</c> from a JSON-RPC answer.</summary>
    private static (byte[] Answer, string Outcome) Answer(JsonElement response)
    {
        var failed = !response.TryGetProperty("result"u8, out var result);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (failed)
            {
                writer.WritePropertyName("error"u8);
                (response.TryGetProperty("error"u8, out var error) ? error : response).WriteTo(writer);
            }
            else
            {
                writer.WritePropertyName("result"u8);
                result.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return (buffer.WrittenSpan.ToArray(), failed ? "error" : "success");
    }

    /// <summary>The contract's -32602 for a payload that is not a valid command.</summary>
    private static byte[] InvalidParams(CommandError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error"u8);
            writer.WriteNumber("code"u8, -32602);
            writer.WriteString("message"u8, "Invalid params");
            writer.WriteStartObject("data"u8);
            writer.WriteString("param"u8, error.Param);
            writer.WriteString("rule"u8, error.Rule);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed record CommandMessage(string Camera, string Command, byte[] Payload, string? ResponseTopic, byte[]? CorrelationData);
}
