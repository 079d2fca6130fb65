namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// The decoders reading a <see cref="CameraPipeline"/>'s feed (frame analysis, e.g. motion detection): while one reads,
/// the camera's process is kept running. A process restart ends their streams (a reader then opens a new one). Every
/// method runs under the pipeline's gate.
/// </summary>
internal sealed class PipelineFrameReaders(CameraPipeline pipeline)
{
    private int _count;

    /// <summary>How many readers are open (they keep the process running).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>A decoder's view of the camera's feed: the process is started if none runs and kept running until <see cref="CloseAsync"/>.</summary>
    public async Task<FeedStream> OpenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        try
        {
            if (pipeline.Run is null)
            {
                await pipeline.StartRunAsync(cancellationToken).ConfigureAwait(false);
            }

            var feed = pipeline.Run!.Feed;
            var stream = new FeedStream(feed);
            feed.Listen(stream, null);
            return stream;
        }
        catch
        {
            Interlocked.Decrement(ref _count);
            throw;
        }
    }

    /// <summary>The reader is done: it leaves the feed, and a process nothing else wants is stopped.</summary>
    public async Task CloseAsync(FeedStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        pipeline.Run?.Feed.Leave(stream);
        Interlocked.Decrement(ref _count);
        if (!pipeline.Recording)
        {
            await pipeline.StopIfUnwantedAsync(clearFailure: false).ConfigureAwait(false);
        }
    }
}
