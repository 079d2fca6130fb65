using System.Threading.Channels;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// A camera feed read as a stream of MPEG-TS — its program table, then whole keyframe intervals from the one in progress
/// on — for a decoder's stdin (the frames of <see cref="FfmpegStreamBackend"/>'s <c>IVideoFrameSource</c>). The feed
/// never waits for it: a decoder more than <see cref="MaxQueued"/> intervals behind loses intervals (it sees a jump,
/// which a motion detector survives), so a stuck decoder costs bounded memory.
/// </summary>
internal sealed class FeedStream : Stream, IFeedListener
{
    private const int MaxQueued = 32;

    private readonly Channel<ReadOnlyMemory<byte>> _chunks =
        Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly CameraFeed _feed;
    private ReadOnlyMemory<byte> _current;
    private bool _headerSent;

    public FeedStream(CameraFeed feed) => _feed = feed;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public void Enqueue(Gop gop)
    {
        ArgumentNullException.ThrowIfNull(gop);
        if (!_headerSent && _feed.Header is { } header)
        {
            // A decoder needs the program table before the first interval.
            _headerSent = _chunks.Writer.TryWrite(header);
        }

        if (_headerSent)
        {
            _chunks.Writer.TryWrite(gop.Data);
        }
    }

    /// <inheritdoc/>
    public void Complete() => _chunks.Writer.TryComplete();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            _chunks.Reader.TryRead(out _current);
        }

        var n = Math.Min(buffer.Length, _current.Length);
        _current.Span[..n].CopyTo(buffer.Span);
        _current = _current[n..];
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
