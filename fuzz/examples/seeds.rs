//! Writes the seed corpus, `fuzz/corpus/<target>/`: valid inputs of every
//! kind each target reads, made with the project's own encoders so that
//! they stay valid when a format changes. Run it with `fuzz/seeds.sh`;
//! the fuzzer starts from these and finds its way from there.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use asynchronio_protocol::cache::CacheEntry;
use asynchronio_protocol::login::DashboardLogin;
use asynchronio_protocol::presence::{PresenceEvent, PresenceKind};
use asynchronio_protocol::process::{DesiredState, ProcessAction, ProcessCommand};
use asynchronio_protocol::render::{Fragment, RENDER_HEADER, RenderOp};
use asynchronio_protocol::stdio::{Answer, Outcome, Output};
use asynchronio_protocol::token::{Claims, TokenKeys};
use asynchronio_protocol::trace::TraceContext;
use asynchronio_protocol::{ClientFrame, Codec, ContentType, Envelope, Offset, Since};
use bytes::Bytes;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut seeds = Seeds {
        root,
        count: 0,
        per_target: HashMap::new(),
    };

    let trace = TraceContext::checked(TRACEPARENT, Some("vendor=abc")).ok();
    let frames = [
        ClientFrame::Subscribe {
            id: Some(1),
            channel: "news".into(),
            since: None,
            presence: false,
        },
        ClientFrame::Subscribe {
            id: Some(2),
            channel: "private:room".into(),
            since: Some(Since {
                offset: Offset(41),
                epoch: "1764633600000-0".into(),
            }),
            presence: true,
        },
        ClientFrame::Unsubscribe {
            id: None,
            channel: "news".into(),
        },
        ClientFrame::Publish {
            id: Some(3),
            channel: "chat".into(),
            data: Bytes::from_static(
                br#"{"text":"hi","n":[1,2.5,-3,18446744073709551616],"ok":true,"x":null}"#,
            ),
            trace: trace.clone(),
        },
        ClientFrame::Ping { id: Some(4) },
        ClientFrame::Connect {
            id: Some(5),
            token: "eyJhbGciOiJIUzI1NiJ9.e30.sig".into(),
        },
    ];
    for (mode, codec) in [(0u8, Codec::Json), (1, Codec::MsgPack)] {
        for frame in &frames {
            let bytes = codec.encode_client(frame)?;
            seeds.write("client_frame", &[&[mode], bytes.as_bytes()].concat())?;
            // The same frame as a masked WebSocket message, alone and after
            // a handshake (websocket target: bit 0 frames-only, bit 1 codec).
            let frame = masked(if codec.is_binary() { 0x2 } else { 0x1 }, bytes.as_bytes());
            let codec_bit = if codec.is_binary() { 2 } else { 0 };
            seeds.write("websocket", &[&[1 | codec_bit], &frame[..]].concat())?;
            seeds.write(
                "websocket",
                &[
                    &[codec_bit],
                    HANDSHAKE.as_bytes(),
                    &frame[..],
                    &masked(0x8, &[3, 232]),
                ]
                .concat(),
            )?;
        }
    }
    seeds.write(
        "websocket",
        &[&[1u8], &masked(0x9, b"ping")[..], &masked(0x8, &[])[..]].concat(),
    )?;
    // Just over the target's 256-byte limit, and a head over 16 KiB (431).
    seeds.write(
        "websocket",
        &[&[1u8], &masked(0x2, &[b'x'; 257])[..]].concat(),
    )?;
    let long_head = HANDSHAKE.replace(
        "Host: localhost",
        &format!("Host: {}", "h".repeat(16 * 1024)),
    );
    seeds.write("websocket", &[&[0u8], long_head.as_bytes()].concat())?;
    // A message in two fragments.
    let mut first = masked(0x1, br#"{"op":"ping","#);
    first[0] &= 0x7f;
    seeds.write(
        "websocket",
        &[&[1u8], &first[..], &masked(0x80, br#""id":9}"#)[..]].concat(),
    )?;

    let mut envelope = Envelope {
        channel: "news".into(),
        content_type: ContentType::Json,
        payload: Bytes::from_static(br#"{"title":"hello"}"#),
        headers: Vec::new(),
        publisher: Some("key:abc".into()),
        ts: 1_764_633_600_000,
        offset: 7,
        epoch: "1764633600000-0".into(),
    };
    seeds.write("envelope", &envelope.encode()?)?;
    if let Some(trace) = trace.clone() {
        trace.write_into(&mut envelope.headers);
    }
    seeds.write("envelope", &envelope.encode()?)?;
    envelope.content_type = ContentType::Text;
    envelope.payload = Bytes::from_static("plain text é".as_bytes());
    seeds.write("envelope", &envelope.encode()?)?;
    envelope.content_type = ContentType::Binary;
    envelope.payload = Bytes::from_static(&[0, 159, 146, 150, 255]);
    seeds.write("envelope", &envelope.encode()?)?;
    let fragment = Fragment {
        target: "row-1".into(),
        op: RenderOp::Append,
        html: "<tr id=\"row-1\"><td>1</td></tr>".into(),
    };
    envelope.content_type = ContentType::Json;
    envelope.payload = Bytes::from(fragment.to_payload()?);
    envelope.headers = vec![(RENDER_HEADER.into(), "1".into())];
    seeds.write("envelope", &envelope.encode()?)?;

    // Signed with a key the target does not hold.
    let other = TokenKeys::hs256(b"another secret, never the fuzz target's own key")?;
    let claims = Claims {
        sub: "user-1".into(),
        exp: 4_102_444_800,
        iat: 1_764_633_600,
        subscribe: vec!["news".into(), "private:user-1:*".into()],
        publish: vec!["chat:*".into()],
        ..Claims::default()
    };
    seeds.write("token", other.sign(&claims)?.as_bytes())?;
    for pair in [
        "chat:*\nchat:lobby",
        "a*b*c\naXbYc",
        "*\n$sys:nodes",
        "news\nnews",
        "x*\ny",
    ] {
        seeds.write("token", pair.as_bytes())?;
    }

    for body in [
        &br#"{"sub":"user-42","ttl":3600,"subscribe":["news","private:user-42:*"],"publish":["chat:*"]}"#[..],
        br#"{"sub":" user ","admin":true}"#,
        br#"{"sub":"u","ttl":1,"subscribe":["a*b*c"]}"#,
    ] {
        seeds.write("rest_bodies", &[&[0u8], body].concat())?;
    }
    seeds.write("rest_bodies", b"\x01[\"1764633600000-0\",\"1-1\"]")?;

    let answers = [
        Answer::new("1-0".into(), Outcome::forward(serde_json::json!({"a": 1}))),
        Answer::new("2-0".into(), Outcome::drop_message()),
        Answer::new("3-0".into(), Outcome::error("bad input")),
        Answer::new(
            "4-0".into(),
            Outcome::Publish(vec![Output {
                channel: Some("out:b".into()),
                data: serde_json::json!(
                    "a string long enough to be cut into pieces of sixty-four bytes each"
                ),
            }]),
        ),
    ];
    let mut stdout = Vec::new();
    for answer in &answers {
        stdout.extend_from_slice(&answer.to_line()?);
    }
    seeds.write("stdio_answer", &stdout)?;
    seeds.write(
        "stdio_answer",
        b"{\"id\":\"5-0\",\"out\":[]}\r\nnot json\n\xff\xfe\n",
    )?;

    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for config in [
        repo.join("asynchronio.toml"),
        repo.join("deploy/docker/process-manager.toml"),
    ] {
        if let Ok(text) = fs::read(&config) {
            seeds.write("config", &text)?;
        }
    }
    seeds.write(
        "config",
        b"[process.web]\ncommand = \"python3\"\nargs = [\"-m\", \"http.server\"]\ninstances = 2\n\
          ready = { tcp = \"127.0.0.1:8000\" }\n\n\
          [[pipeline]]\nname = \"upper\"\ninput = \"in\"\noutputs = [\"out\"]\ncommand = \"./upper.py\"\n\
          max_retries = 3\ndepends_on = [\"web\"]\n",
    )?;

    for name in [
        "news",
        "private:room:1",
        "$sys:nodes",
        "render:page",
        "a.b-c_d:e",
        "",
    ] {
        seeds.write("channel_name", name.as_bytes())?;
    }

    seeds.write(
        "render_fragment",
        br#"{"target":"list","op":"append","html":"<li id=\"a\">x</li>"}"#,
    )?;
    seeds.write("render_fragment", br#"{"target":"old","op":"remove"}"#)?;
    for html in [
        "<p class=\"x\" data-id=\"1\">hi <a href=\"https://a.example/\">link</a></p>",
        "<tr><td>1</td><td onclick=\"x()\">2</td></tr>",
        "<img src=x onerror=alert(1)><script>alert(1)</script>",
        "<svg><script>alert(1)</script></svg><a href=\"javascript:alert(1)\">x</a>",
        "<math><mi><style><img src onerror=1></style></mi></math>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    ] {
        seeds.write("render_fragment", html.as_bytes())?;
    }

    seeds.write(
        "headers",
        format!("\0{TRACEPARENT}\nvendor=abc,other=1").as_bytes(),
    )?;
    seeds.write(
        "headers",
        b"\x0001-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more",
    )?;
    for json in [
        &br#"{"a":[1,2,{"b":null}],"c":"\ud83d\ude00"}"#[..],
        b"123456789012345678901234567890",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        b"\"\\ud800\"",
        b"1e400",
    ] {
        seeds.write("headers", &[&[1u8], json].concat())?;
    }

    seeds.write(
        "redis_entries",
        &[
            &[0u8],
            &CacheEntry {
                content_type: "text/html".into(),
                value: b"<p>cached</p>".to_vec(),
            }
            .encode()?[..],
        ]
        .concat(),
    )?;
    let login = DashboardLogin {
        actor: "key:abc".into(),
        csrf: "0123456789abcdef".into(),
        created_ms: 1_764_633_600_000,
    };
    seeds.write("redis_entries", &[&[1u8], &login.encode()?[..]].concat())?;
    let event = PresenceEvent {
        kind: PresenceKind::Join,
        channel: "room".into(),
        client: "gw-1/42".into(),
        user: Some("user-1".into()),
    };
    seeds.write("redis_entries", &[&[2u8], &event.encode()?[..]].concat())?;
    seeds.write(
        "redis_entries",
        b"\x03{\"user\":\"u1\",\"client\":\"gw-1/42\"}",
    )?;
    let desired = DesiredState {
        running: true,
        instances: 3,
    };
    seeds.write("redis_entries", &[&[5u8], &desired.encode()?[..]].concat())?;
    for action in [
        ProcessAction::Scale {
            name: "web".into(),
            instances: 4,
        },
        ProcessAction::Replay {
            name: "upper".into(),
            ids: vec!["1764633600000-0".into()],
        },
        ProcessAction::Reload,
    ] {
        let command = ProcessCommand {
            id: "c1".into(),
            action,
            sender: "cli".into(),
        };
        seeds.write("redis_entries", &[&[6u8], &command.encode()?[..]].concat())?;
    }
    seeds.write(
        "redis_entries",
        &[
            &[9u8],
            &b"channel\0news\0offset\x007\0error\0boom\0attempts\x003\0envelope\0"[..],
            &envelope.encode()?[..],
        ]
        .concat(),
    )?;

    println!("wrote {} seeds under {}", seeds.count, seeds.root.display());
    Ok(())
}

/// A valid upgrade request head.
const HANDSHAKE: &str = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

/// One final, masked frame (as a client must send) with `opcode`.
fn masked(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// Writes seed files, numbered per target, so that adding a seed to one
/// target leaves the others' names alone.
struct Seeds {
    root: PathBuf,
    count: usize,
    per_target: HashMap<String, usize>,
}

impl Seeds {
    fn write(&mut self, target: &str, bytes: &[u8]) -> std::io::Result<()> {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir)?;
        self.count += 1;
        let number = self.per_target.entry(target.to_owned()).or_default();
        *number += 1;
        fs::write(dir.join(format!("seed-{:03}", number)), bytes)
    }
}
