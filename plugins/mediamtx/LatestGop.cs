namespace CameraService.Plugins.MediaMtx;

/// <summary>The newest group of pictures of an H.264 stream: Annex B bytes from a keyframe's SPS up to the newest picture.</summary>
/// <param name="Bytes">Annex B bytes that start with the keyframe's parameter sets.</param>
/// <param name="Pictures">How many pictures they hold (the last one is the newest picture of the stream).</param>
internal readonly record struct GopPicture(byte[] Bytes, int Pictures);

/// <summary>
/// Keeps the newest group of pictures (GOP) of an H.264 Annex B byte stream fed in arbitrary chunks, so that the
/// newest picture can be decoded at once: a decoder needs the keyframe and every picture after it. A GOP starts at
/// a sequence parameter set (NAL type 7; the reader asks ffmpeg's <c>dump_extra</c> to repeat it before every
/// keyframe) and holds an IDR picture (type 5); pictures are counted at slices whose <c>first_mb_in_slice</c> is 0.
/// A GOP that grows past <see cref="MaxBytes"/> (a stream without repeated parameter sets) is dropped, so memory
/// stays bounded and <see cref="TryGet"/> answers nothing rather than something stale. Not thread-safe: the reader
/// feeds it and snapshots read it under the reader's lock.
/// </summary>
internal sealed class LatestGop
{
    /// <summary>Upper bound of one GOP kept in memory.</summary>
    public const int MaxBytes = 16 << 20;

    private byte[] _buffer = new byte[64 << 10];
    private int _length;
    private bool _hasIdr;
    private int _pictures;
    private bool _overflowed;

    // The scanner's state across chunks: how many zero bytes precede the current position, and whether the byte after
    // a start code (the NAL header) or after a slice's header (its first_mb_in_slice) is due next.
    private int _zeros;
    private bool _headerNext;
    private bool _sliceNext;
    private int _startCode;

    /// <summary>Appends a chunk of the stream.</summary>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        var copied = 0;
        for (var i = 0; i < chunk.Length; i++)
        {
            var b = chunk[i];
            if (_sliceNext)
            {
                _sliceNext = false;
                if ((b & 0x80) != 0)
                {
                    // ue(v) first_mb_in_slice == 0: the first slice of a new picture.
                    _pictures++;
                }
            }

            if (_headerNext)
            {
                _headerNext = false;
                var type = b & 0x1F;
                if (type == 7)
                {
                    // A new GOP starts at this SPS: the previous one is dropped, and the SPS's start code (partly in
                    // earlier chunks) is written anew.
                    StartNewGop(_startCode);
                    copied = i;
                }
                else if (type == 5)
                {
                    _hasIdr = true;
                    _sliceNext = true;
                }
                else if (type == 1)
                {
                    _sliceNext = true;
                }

                continue;
            }

            if (b == 0)
            {
                _zeros++;
            }
            else
            {
                _headerNext = b == 1 && _zeros >= 2;
                _startCode = Math.Min(_zeros + 1, 4);
                _zeros = 0;
            }
        }

        Write(chunk[copied..]);
    }

    /// <summary>Whether <see cref="TryGet"/> has a picture to give.</summary>
    public bool HasPicture => _hasIdr && _pictures > 0 && !_overflowed;

    /// <summary>The newest GOP that holds a keyframe and at least one picture, copied; false when there is none yet.</summary>
    public bool TryGet(out GopPicture picture)
    {
        if (!HasPicture)
        {
            picture = default;
            return false;
        }

        picture = new GopPicture(_buffer.AsSpan(0, _length).ToArray(), _pictures);
        return true;
    }

    /// <summary>Forgets everything (the stream was interrupted).</summary>
    public void Reset()
    {
        _length = 0;
        _hasIdr = false;
        _pictures = 0;
        _overflowed = true;
        _zeros = 0;
        _headerNext = false;
        _sliceNext = false;
    }

    private void StartNewGop(int startCodeLength)
    {
        _length = 0;
        for (var k = 0; k < startCodeLength - 1; k++)
        {
            AppendByte(0);
        }

        AppendByte(1);
        _hasIdr = false;
        _pictures = 0;
        _overflowed = false;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        if (_overflowed || bytes.IsEmpty)
        {
            return;
        }

        if (_length + bytes.Length > MaxBytes)
        {
            _overflowed = true;
            _length = 0;
            return;
        }

        EnsureCapacity(_length + bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void AppendByte(byte b)
    {
        EnsureCapacity(_length + 1);
        _buffer[_length++] = b;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(MaxBytes, Math.Max(needed, _buffer.Length * 2)));
        }
    }
}
