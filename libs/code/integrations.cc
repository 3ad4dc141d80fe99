#include "libs/code/integrations.h"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slipway::code {
namespace {

// ---------------------------------------------------------------------------------------------
// The catalogue
//
// One table of library rules per language family. A rule names an import prefix, matched by
// whole path segments of the family ("redis" matches "redis" and "redis.asyncio", never
// "redistools"), and says what a file importing it integrates with:
//   * `kind`: reported on the import alone (the common case: psycopg2 is a database);
//   * `cues`: code snippets, each adding its kind where it appears in the file (a library that
//     serves and calls, like gRPC, or one whose kind depends on use, like boto3);
//   * `fallback`: the kind reported when the rule has cues and none of them appears.
// `library` is the name a manifest of the ecosystem declares (pip, npm, Maven coordinates,
// Cargo, vcpkg/CMake) or, for a standard library, the module ("sqlite3", "net/http",
// "java.sql"). Empty means "the module itself"; for Go that keeps a major-version suffix of
// the import ("github.com/jackc/pgx" imported as ".../pgx/v5/pgxpool" -> ".../pgx/v5").
// ---------------------------------------------------------------------------------------------

struct Cue {
  std::string_view text;
  std::string_view kind;
};

struct LibraryRule {
  std::string_view module;
  std::string_view kind = {};
  std::string_view library = {};
  std::span<const Cue> cues = {};
  std::string_view fallback = {};
};

// A kind found from the code alone, no import needed (the global fetch() of JavaScript). Only
// consulted when the imports gave no use of that kind, and the cue must start a word.
struct ContentRule {
  std::string_view text;
  std::string_view kind;
  std::string_view library;
};

// --- Cues shared by several rules ---

// Redis is a cache until the file publishes, subscribes or uses streams and blocking pops:
// then it is also the file's message queue.
constexpr Cue kRedisQueueCues[] = {
    {".publish(", kMessageQueue},    {".subscribe(", kMessageQueue},
    {".pubsub(", kMessageQueue},     {".xadd(", kMessageQueue},
    {".xAdd(", kMessageQueue},       {".xreadgroup(", kMessageQueue},
    {".xReadGroup(", kMessageQueue}, {".blpop(", kMessageQueue},
    {".brpop(", kMessageQueue},
};

// The AWS SDKs for Python are one package for every service; the service name passed to
// client()/resource() says which integration a file has. Without one, it is some other AWS
// service (IAM, Lambda, ...) and not reported.
constexpr Cue kBotoCues[] = {
    {"'s3'", kObjectStorage},     {"\"s3\"", kObjectStorage},     {"'sqs'", kMessageQueue},
    {"\"sqs\"", kMessageQueue},   {"'sns'", kMessageQueue},       {"\"sns\"", kMessageQueue},
    {"'kinesis'", kMessageQueue}, {"\"kinesis\"", kMessageQueue}, {"'dynamodb'", kDatabase},
    {"\"dynamodb\"", kDatabase},
};

// --- Python ---

// A servicer class or add_*_to_server registers a service; a channel or stub calls one.
constexpr Cue kPythonGrpcCues[] = {
    {"grpc.server(", kGrpcServer},
    {"grpc.aio.server(", kGrpcServer},
    {"_to_server(", kGrpcServer},
    {"Servicer", kGrpcServer},
    {"insecure_channel(", kGrpcClient},
    {"secure_channel(", kGrpcClient},
    {"Stub(", kGrpcClient},
};

constexpr Cue kAiohttpCues[] = {
    {"web.Application", kHttpServer},
    {"ClientSession", kHttpClient},
};

// joblib persists any Python object; only loading a model from it marks model code.
constexpr Cue kJoblibCues[] = {{"joblib.load", kMlModel}};

constexpr LibraryRule kPythonRules[] = {
    // Databases. The standard library's sqlite3 counts: it is a database all the same.
    {"sqlalchemy", kDatabase},
    {"flask_sqlalchemy", kDatabase, "flask-sqlalchemy"},
    {"sqlmodel", kDatabase},
    {"alembic", kDatabase},
    {"psycopg2", kDatabase},
    {"psycopg", kDatabase},
    {"asyncpg", kDatabase},
    {"pymysql", kDatabase},
    {"MySQLdb", kDatabase, "mysqlclient"},
    {"mysql.connector", kDatabase, "mysql-connector-python"},
    {"aiomysql", kDatabase},
    {"sqlite3", kDatabase},
    {"aiosqlite", kDatabase},
    {"pymongo", kDatabase},
    {"motor", kDatabase},
    {"peewee", kDatabase},
    {"tortoise", kDatabase, "tortoise-orm"},
    {"cassandra", kDatabase, "cassandra-driver"},
    {"duckdb", kDatabase},
    {"clickhouse_driver", kDatabase, "clickhouse-driver"},
    {"neo4j", kDatabase},
    {"google.cloud.bigquery", kDatabase, "google-cloud-bigquery"},
    {"django.db", kDatabase, "django"},
    // HTTP servers.
    {"flask", kHttpServer},
    {"fastapi", kHttpServer},
    {"starlette", kHttpServer},
    {"uvicorn", kHttpServer},
    {"django.http", kHttpServer, "django"},
    {"django.urls", kHttpServer, "django"},
    {"django.conf.urls", kHttpServer, "django"},
    {"django.views", kHttpServer, "django"},
    {"django.shortcuts", kHttpServer, "django"},
    {"rest_framework", kHttpServer, "djangorestframework"},
    {"tornado.web", kHttpServer, "tornado"},
    {"sanic", kHttpServer},
    {"bottle", kHttpServer},
    {"falcon", kHttpServer},
    {"pyramid", kHttpServer},
    {"quart", kHttpServer},
    {"litestar", kHttpServer},
    {"http.server", kHttpServer},
    {"aiohttp.web", kHttpServer, "aiohttp"},
    // HTTP clients.
    {"requests", kHttpClient},
    {"httpx", kHttpClient},
    {"urllib3", kHttpClient},
    {"urllib.request", kHttpClient},
    {"http.client", kHttpClient},
    {.module = "aiohttp", .cues = kAiohttpCues},
    // gRPC. A file importing grpc with no cue of either side is most often a caller handling
    // grpc.RpcError or status codes, so it counts as a client.
    {.module = "grpc", .library = "grpcio", .cues = kPythonGrpcCues, .fallback = kGrpcClient},
    // Message queues.
    {"kafka", kMessageQueue, "kafka-python"},
    {"confluent_kafka", kMessageQueue, "confluent-kafka"},
    {"aiokafka", kMessageQueue},
    {"pika", kMessageQueue},
    {"aio_pika", kMessageQueue, "aio-pika"},
    {"kombu", kMessageQueue},
    {"celery", kMessageQueue},
    {"rq", kMessageQueue},
    {"dramatiq", kMessageQueue},
    {"nats", kMessageQueue, "nats-py"},
    {"paho.mqtt", kMessageQueue, "paho-mqtt"},
    {"pulsar", kMessageQueue, "pulsar-client"},
    {"azure.servicebus", kMessageQueue, "azure-servicebus"},
    {"google.cloud.pubsub", kMessageQueue, "google-cloud-pubsub"},
    {"google.cloud.pubsub_v1", kMessageQueue, "google-cloud-pubsub"},
    // Caches.
    {"redis", kCache, "redis", kRedisQueueCues},
    {"aioredis", kCache, "aioredis", kRedisQueueCues},
    {"django_redis", kCache, "django-redis"},
    {"pymemcache", kCache},
    {"memcache", kCache, "python-memcached"},
    {"aiocache", kCache},
    {"flask_caching", kCache, "flask-caching"},
    // Object storage.
    {.module = "boto3", .cues = kBotoCues},
    {.module = "aioboto3", .cues = kBotoCues},
    {"google.cloud.storage", kObjectStorage, "google-cloud-storage"},
    {"minio", kObjectStorage},
    {"azure.storage.blob", kObjectStorage, "azure-storage-blob"},
    {"s3fs", kObjectStorage},
    {"gcsfs", kObjectStorage},
    // Machine-learning models.
    {"torch", kMlModel},
    {"tensorflow", kMlModel},
    {"keras", kMlModel},
    {"sklearn", kMlModel, "scikit-learn"},
    {"xgboost", kMlModel},
    {"lightgbm", kMlModel},
    {"catboost", kMlModel},
    {"transformers", kMlModel},
    {"sentence_transformers", kMlModel, "sentence-transformers"},
    {"onnxruntime", kMlModel},
    {"onnx", kMlModel},
    {"tflite_runtime", kMlModel, "tflite-runtime"},
    {"openvino", kMlModel},
    {"tritonclient", kMlModel},
    {"jax", kMlModel},
    {"spacy", kMlModel},
    {"prophet", kMlModel},
    {"mlflow", kMlModel},
    {.module = "joblib", .cues = kJoblibCues},
};

// --- JavaScript and TypeScript ---

// Node's own http/https modules: createServer serves; request/get call out. Matched on the
// usual binding names so that an Express app's `app.get(` is not read as a client call.
constexpr Cue kNodeHttpCues[] = {
    {"createServer(", kHttpServer}, {"http.request(", kHttpClient}, {"https.request(", kHttpClient},
    {"http.get(", kHttpClient},     {"https.get(", kHttpClient},
};

// @grpc/grpc-js: a Server with services added serves; client credentials or a generated
// client constructor call.
constexpr Cue kNodeGrpcCues[] = {
    {"Server(", kGrpcServer},
    {"addService(", kGrpcServer},
    {"bindAsync(", kGrpcServer},
    {"credentials.create", kGrpcClient},
    {"makeGenericClientConstructor", kGrpcClient},
    {"makeClientConstructor", kGrpcClient},
};

// NestJS's common package is imported by every provider; only controllers serve HTTP.
constexpr Cue kNestCommonCues[] = {{"@Controller(", kHttpServer}};

// aws-sdk v2 is one package; the service class constructed says which integration it is.
constexpr Cue kAwsSdkV2Cues[] = {
    {"S3(", kObjectStorage},     {"SQS(", kMessageQueue}, {"SNS(", kMessageQueue},
    {"Kinesis(", kMessageQueue}, {"DynamoDB", kDatabase},
};

constexpr LibraryRule kJavaScriptRules[] = {
    // Databases.
    {"pg", kDatabase},
    {"pg-promise", kDatabase},
    {"postgres", kDatabase},
    {"mysql", kDatabase},
    {"mysql2", kDatabase},
    {"mariadb", kDatabase},
    {"better-sqlite3", kDatabase},
    {"sqlite3", kDatabase},
    {"sqlite", kDatabase},
    {"mongodb", kDatabase},
    {"mongoose", kDatabase},
    {"prisma", kDatabase},
    {"@prisma/client", kDatabase},
    {"sequelize", kDatabase},
    {"typeorm", kDatabase},
    {"knex", kDatabase},
    {"drizzle-orm", kDatabase},
    {"@mikro-orm/core", kDatabase},
    {"cassandra-driver", kDatabase},
    {"@nestjs/typeorm", kDatabase},
    {"@nestjs/mongoose", kDatabase},
    {"@aws-sdk/client-dynamodb", kDatabase},
    {"@aws-sdk/lib-dynamodb", kDatabase},
    {"@google-cloud/firestore", kDatabase},
    // HTTP servers.
    {"express", kHttpServer},
    {"fastify", kHttpServer},
    {"koa", kHttpServer},
    {"koa-router", kHttpServer},
    {"@koa/router", kHttpServer},
    {"@hapi/hapi", kHttpServer},
    {"hapi", kHttpServer},
    {"restify", kHttpServer},
    {"hono", kHttpServer},
    {"@nestjs/core", kHttpServer},
    {"@nestjs/platform-express", kHttpServer},
    {"@nestjs/platform-fastify", kHttpServer},
    {.module = "@nestjs/common", .library = "@nestjs/common", .cues = kNestCommonCues},
    // HTTP clients.
    {"axios", kHttpClient},
    {"node-fetch", kHttpClient},
    {"cross-fetch", kHttpClient},
    {"isomorphic-fetch", kHttpClient},
    {"got", kHttpClient},
    {"superagent", kHttpClient},
    {"undici", kHttpClient},
    {"ky", kHttpClient},
    {"@nestjs/axios", kHttpClient},
    // Node's builtins, "node:" prefix removed before matching.
    {.module = "http", .cues = kNodeHttpCues},
    {.module = "https", .cues = kNodeHttpCues},
    // gRPC; without a cue of either side, a caller (see the Python rule).
    {.module = "@grpc/grpc-js", .cues = kNodeGrpcCues, .fallback = kGrpcClient},
    {.module = "grpc", .cues = kNodeGrpcCues, .fallback = kGrpcClient},
    // Message queues.
    {"kafkajs", kMessageQueue},
    {"node-rdkafka", kMessageQueue},
    {"amqplib", kMessageQueue},
    {"amqp-connection-manager", kMessageQueue},
    {"nats", kMessageQueue},
    {"bullmq", kMessageQueue},
    {"bull", kMessageQueue},
    {"mqtt", kMessageQueue},
    {"@google-cloud/pubsub", kMessageQueue},
    {"@aws-sdk/client-sqs", kMessageQueue},
    {"@aws-sdk/client-sns", kMessageQueue},
    {"@aws-sdk/client-kinesis", kMessageQueue},
    // Caches.
    {"redis", kCache, "redis", kRedisQueueCues},
    {"ioredis", kCache, "ioredis", kRedisQueueCues},
    {"memcached", kCache},
    {"memjs", kCache},
    // Object storage.
    {"@aws-sdk/client-s3", kObjectStorage},
    {"@aws-sdk/lib-storage", kObjectStorage},
    {"@aws-sdk/s3-request-presigner", kObjectStorage},
    {"aws-sdk/clients/s3", kObjectStorage, "aws-sdk"},
    {.module = "aws-sdk", .cues = kAwsSdkV2Cues},
    {"@google-cloud/storage", kObjectStorage},
    {"minio", kObjectStorage},
    {"@azure/storage-blob", kObjectStorage},
    // Machine-learning models.
    {"@tensorflow/tfjs", kMlModel},
    {"@tensorflow/tfjs-node", kMlModel},
    {"@tensorflow/tfjs-node-gpu", kMlModel},
    {"onnxruntime-node", kMlModel},
    {"onnxruntime-web", kMlModel},
    {"onnxruntime-common", kMlModel},
    {"@xenova/transformers", kMlModel},
    {"@huggingface/transformers", kMlModel},
    {"brain.js", kMlModel},
};

// Node 18+ and browsers have fetch() without an import.
constexpr ContentRule kJavaScriptContentRules[] = {{"fetch(", kHttpClient, "fetch"}};

// --- Go ---

// net/http is both sides; a file that only names status codes or headers is neither.
constexpr Cue kGoHttpCues[] = {
    {"ListenAndServe", kHttpServer}, {"http.HandleFunc", kHttpServer},
    {"http.Handle(", kHttpServer},   {"http.HandlerFunc", kHttpServer},
    {"ServeMux", kHttpServer},       {"http.ResponseWriter", kHttpServer},
    {"http.Server", kHttpServer},    {"http.Get(", kHttpClient},
    {"http.Post(", kHttpClient},     {"http.PostForm(", kHttpClient},
    {"http.Head(", kHttpClient},     {"http.NewRequest", kHttpClient},
    {"http.Client", kHttpClient},    {"http.DefaultClient", kHttpClient},
};

// Generated *_grpc.pb.go files carry both sides, and are reported with both.
constexpr Cue kGoGrpcCues[] = {
    {"grpc.NewServer(", kGrpcServer},   {"grpc.ServiceRegistrar", kGrpcServer},
    {"grpc.ServerOption", kGrpcServer}, {"grpc.UnaryServerInfo", kGrpcServer},
    {"grpc.Dial", kGrpcClient},         {"grpc.NewClient(", kGrpcClient},
    {"grpc.ClientConn", kGrpcClient},   {"grpc.WithTransportCredentials", kGrpcClient},
};

constexpr Cue kGoRedisQueueCues[] = {
    {".Publish(", kMessageQueue}, {".Subscribe(", kMessageQueue},  {".PSubscribe(", kMessageQueue},
    {".XAdd(", kMessageQueue},    {".XReadGroup(", kMessageQueue}, {".BLPop(", kMessageQueue},
};

constexpr LibraryRule kGoRules[] = {
    // Databases.
    {"database/sql", kDatabase},
    {"github.com/jackc/pgx", kDatabase},
    {"github.com/lib/pq", kDatabase},
    {"gorm.io/gorm", kDatabase},
    {"github.com/jmoiron/sqlx", kDatabase},
    {"github.com/go-sql-driver/mysql", kDatabase},
    {"github.com/mattn/go-sqlite3", kDatabase},
    {"modernc.org/sqlite", kDatabase},
    {"go.mongodb.org/mongo-driver", kDatabase},
    {"entgo.io/ent", kDatabase},
    {"github.com/uptrace/bun", kDatabase},
    {"github.com/go-pg/pg", kDatabase},
    {"github.com/gocql/gocql", kDatabase},
    {"github.com/aws/aws-sdk-go-v2/service/dynamodb", kDatabase},
    // HTTP.
    {.module = "net/http", .cues = kGoHttpCues},
    {"github.com/gin-gonic/gin", kHttpServer},
    {"github.com/labstack/echo", kHttpServer},
    {"github.com/go-chi/chi", kHttpServer},
    {"github.com/gorilla/mux", kHttpServer},
    {"github.com/gofiber/fiber", kHttpServer},
    {"github.com/julienschmidt/httprouter", kHttpServer},
    {"github.com/go-resty/resty", kHttpClient},
    {"github.com/hashicorp/go-retryablehttp", kHttpClient},
    // gRPC; without a cue of either side, a caller (see the Python rule).
    {.module = "google.golang.org/grpc", .cues = kGoGrpcCues, .fallback = kGrpcClient},
    // Message queues.
    {"github.com/segmentio/kafka-go", kMessageQueue},
    {"github.com/confluentinc/confluent-kafka-go", kMessageQueue},
    {"github.com/IBM/sarama", kMessageQueue},
    {"github.com/Shopify/sarama", kMessageQueue},
    {"github.com/twmb/franz-go", kMessageQueue},
    {"github.com/rabbitmq/amqp091-go", kMessageQueue},
    {"github.com/streadway/amqp", kMessageQueue},
    {"github.com/nats-io/nats.go", kMessageQueue},
    {"cloud.google.com/go/pubsub", kMessageQueue},
    {"github.com/aws/aws-sdk-go-v2/service/sqs", kMessageQueue},
    {"github.com/aws/aws-sdk-go-v2/service/sns", kMessageQueue},
    // Caches.
    {"github.com/redis/go-redis", kCache, {}, kGoRedisQueueCues},
    {"github.com/go-redis/redis", kCache, {}, kGoRedisQueueCues},
    {"github.com/gomodule/redigo", kCache},
    {"github.com/bradfitz/gomemcache", kCache},
    // Object storage.
    {"github.com/aws/aws-sdk-go-v2/service/s3", kObjectStorage},
    {"github.com/aws/aws-sdk-go-v2/feature/s3/manager", kObjectStorage},
    {"github.com/aws/aws-sdk-go/service/s3", kObjectStorage, "github.com/aws/aws-sdk-go"},
    {"cloud.google.com/go/storage", kObjectStorage},
    {"github.com/minio/minio-go", kObjectStorage},
    {"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob", kObjectStorage},
    // Machine-learning models.
    {"github.com/tensorflow/tensorflow", kMlModel},
    {"github.com/galeone/tfgo", kMlModel},
    {"github.com/yalue/onnxruntime_go", kMlModel},
    {"gorgonia.org/gorgonia", kMlModel},
};

// --- Java and Kotlin (matched by package prefix; library = Maven coordinates) ---

constexpr Cue kJavaGrpcCues[] = {
    {"ServerBuilder", kGrpcServer},  {"ImplBase", kGrpcServer}, {"BindableService", kGrpcServer},
    {"ManagedChannel", kGrpcClient}, {"Stub(", kGrpcClient},
};

constexpr Cue kJedisQueueCues[] = {
    {".publish(", kMessageQueue},
    {"JedisPubSub", kMessageQueue},
    {".xadd(", kMessageQueue},
};

constexpr LibraryRule kJvmRules[] = {
    // Databases.
    {"java.sql", kDatabase, "java.sql"},
    {"javax.sql", kDatabase, "javax.sql"},
    {"javax.persistence", kDatabase, "javax.persistence:javax.persistence-api"},
    {"jakarta.persistence", kDatabase, "jakarta.persistence:jakarta.persistence-api"},
    {"org.springframework.data.jpa", kDatabase, "org.springframework.data:spring-data-jpa"},
    {"org.springframework.jdbc", kDatabase, "org.springframework:spring-jdbc"},
    {"org.springframework.data.mongodb", kDatabase, "org.springframework.data:spring-data-mongodb"},
    {"org.hibernate", kDatabase, "org.hibernate.orm:hibernate-core"},
    {"org.jooq", kDatabase, "org.jooq:jooq"},
    {"org.mybatis", kDatabase, "org.mybatis:mybatis"},
    {"org.postgresql", kDatabase, "org.postgresql:postgresql"},
    {"com.zaxxer.hikari", kDatabase, "com.zaxxer:HikariCP"},
    {"com.mongodb", kDatabase, "org.mongodb:mongodb-driver-sync"},
    {"org.jetbrains.exposed", kDatabase, "org.jetbrains.exposed:exposed-core"},
    {"software.amazon.awssdk.services.dynamodb", kDatabase, "software.amazon.awssdk:dynamodb"},
    // HTTP servers.
    {"org.springframework.web.bind.annotation", kHttpServer, "org.springframework:spring-web"},
    {"org.springframework.web.servlet", kHttpServer, "org.springframework:spring-webmvc"},
    {"org.springframework.web.reactive.function.server", kHttpServer,
     "org.springframework:spring-webflux"},
    {"javax.servlet", kHttpServer, "javax.servlet:javax.servlet-api"},
    {"jakarta.servlet", kHttpServer, "jakarta.servlet:jakarta.servlet-api"},
    {"javax.ws.rs", kHttpServer, "javax.ws.rs:javax.ws.rs-api"},
    {"jakarta.ws.rs", kHttpServer, "jakarta.ws.rs:jakarta.ws.rs-api"},
    {"io.ktor.server", kHttpServer, "io.ktor:ktor-server-core"},
    {"io.javalin", kHttpServer, "io.javalin:javalin"},
    {"io.micronaut.http.annotation", kHttpServer, "io.micronaut:micronaut-http"},
    {"io.vertx.ext.web", kHttpServer, "io.vertx:vertx-web"},
    {"io.undertow", kHttpServer, "io.undertow:undertow-core"},
    {"org.eclipse.jetty.server", kHttpServer, "org.eclipse.jetty:jetty-server"},
    {"com.sun.net.httpserver", kHttpServer, "com.sun.net.httpserver"},
    // HTTP clients (more specific than the server packages they sit under).
    {"java.net.http", kHttpClient, "java.net.http"},
    {"java.net.HttpURLConnection", kHttpClient, "java.net"},
    {"org.springframework.web.client", kHttpClient, "org.springframework:spring-web"},
    {"org.springframework.web.reactive.function.client", kHttpClient,
     "org.springframework:spring-webflux"},
    {"javax.ws.rs.client", kHttpClient, "javax.ws.rs:javax.ws.rs-api"},
    {"jakarta.ws.rs.client", kHttpClient, "jakarta.ws.rs:jakarta.ws.rs-api"},
    {"io.ktor.client", kHttpClient, "io.ktor:ktor-client-core"},
    {"io.micronaut.http.client", kHttpClient, "io.micronaut:micronaut-http-client"},
    {"io.vertx.ext.web.client", kHttpClient, "io.vertx:vertx-web-client"},
    {"okhttp3", kHttpClient, "com.squareup.okhttp3:okhttp"},
    {"retrofit2", kHttpClient, "com.squareup.retrofit2:retrofit"},
    {"org.apache.http", kHttpClient, "org.apache.httpcomponents:httpclient"},
    {"org.apache.hc.client5", kHttpClient, "org.apache.httpcomponents.client5:httpclient5"},
    {"feign", kHttpClient, "io.github.openfeign:feign-core"},
    {"org.springframework.cloud.openfeign", kHttpClient,
     "org.springframework.cloud:spring-cloud-starter-openfeign"},
    // gRPC; without a cue of either side, a caller (see the Python rule).
    {.module = "io.grpc",
     .library = "io.grpc:grpc-api",
     .cues = kJavaGrpcCues,
     .fallback = kGrpcClient},
    // Message queues.
    {"org.apache.kafka.clients", kMessageQueue, "org.apache.kafka:kafka-clients"},
    {"org.apache.kafka.streams", kMessageQueue, "org.apache.kafka:kafka-streams"},
    {"org.springframework.kafka", kMessageQueue, "org.springframework.kafka:spring-kafka"},
    {"com.rabbitmq.client", kMessageQueue, "com.rabbitmq:amqp-client"},
    {"org.springframework.amqp", kMessageQueue, "org.springframework.amqp:spring-rabbit"},
    {"io.nats", kMessageQueue, "io.nats:jnats"},
    {"javax.jms", kMessageQueue, "javax.jms:javax.jms-api"},
    {"jakarta.jms", kMessageQueue, "jakarta.jms:jakarta.jms-api"},
    {"software.amazon.awssdk.services.sqs", kMessageQueue, "software.amazon.awssdk:sqs"},
    {"software.amazon.awssdk.services.sns", kMessageQueue, "software.amazon.awssdk:sns"},
    {"com.amazonaws.services.sqs", kMessageQueue, "com.amazonaws:aws-java-sdk-sqs"},
    {"com.google.cloud.pubsub", kMessageQueue, "com.google.cloud:google-cloud-pubsub"},
    // Caches.
    {"redis.clients.jedis", kCache, "redis.clients:jedis", kJedisQueueCues},
    {"io.lettuce", kCache, "io.lettuce:lettuce-core"},
    {"org.redisson", kCache, "org.redisson:redisson"},
    {"org.springframework.data.redis", kCache, "org.springframework.data:spring-data-redis"},
    {"org.springframework.cache", kCache, "org.springframework:spring-context"},
    {"javax.cache", kCache, "javax.cache:cache-api"},
    {"net.spy.memcached", kCache, "net.spy:spymemcached"},
    // Object storage.
    {"software.amazon.awssdk.services.s3", kObjectStorage, "software.amazon.awssdk:s3"},
    {"com.amazonaws.services.s3", kObjectStorage, "com.amazonaws:aws-java-sdk-s3"},
    {"com.google.cloud.storage", kObjectStorage, "com.google.cloud:google-cloud-storage"},
    {"io.minio", kObjectStorage, "io.minio:minio"},
    {"com.azure.storage.blob", kObjectStorage, "com.azure:azure-storage-blob"},
    // Machine-learning models.
    {"org.tensorflow", kMlModel, "org.tensorflow:tensorflow-core-platform"},
    {"ai.djl", kMlModel, "ai.djl:api"},
    {"ai.onnxruntime", kMlModel, "com.microsoft.onnxruntime:onnxruntime"},
    {"org.deeplearning4j", kMlModel, "org.deeplearning4j:deeplearning4j-core"},
};

// --- Rust (matched by crate path; library = the crate as Cargo.toml declares it) ---

constexpr Cue kTonicCues[] = {
    {"tonic::transport::Server", kGrpcServer},
    {"Server::builder", kGrpcServer},
    {"_server::", kGrpcServer},
    {"Channel", kGrpcClient},
    {"connect(", kGrpcClient},
    {"_client::", kGrpcClient},
};

constexpr Cue kHyperCues[] = {
    {"serve_connection", kHttpServer},
    {"Server::bind", kHttpServer},
    {"Client::", kHttpClient},
    {"handshake(", kHttpClient},
};

constexpr Cue kRustRedisQueueCues[] = {
    {".publish(", kMessageQueue},
    {".subscribe(", kMessageQueue},
    {".xadd(", kMessageQueue},
};

constexpr LibraryRule kRustRules[] = {
    // Databases.
    {"sqlx", kDatabase},
    {"diesel", kDatabase},
    {"sea_orm", kDatabase, "sea-orm"},
    {"tokio_postgres", kDatabase, "tokio-postgres"},
    {"postgres", kDatabase},
    {"deadpool_postgres", kDatabase, "deadpool-postgres"},
    {"mysql", kDatabase},
    {"mysql_async", kDatabase},
    {"rusqlite", kDatabase},
    {"mongodb", kDatabase},
    {"aws_sdk_dynamodb", kDatabase, "aws-sdk-dynamodb"},
    // HTTP.
    {"reqwest", kHttpClient},
    {"ureq", kHttpClient},
    {"surf", kHttpClient},
    {"hyper::server", kHttpServer, "hyper"},
    {"hyper::client", kHttpClient, "hyper"},
    {.module = "hyper", .cues = kHyperCues},
    {"axum", kHttpServer},
    {"actix_web", kHttpServer, "actix-web"},
    {"warp", kHttpServer},
    {"rocket", kHttpServer},
    {"poem", kHttpServer},
    // gRPC; without a cue of either side, a caller (see the Python rule).
    {.module = "tonic", .cues = kTonicCues, .fallback = kGrpcClient},
    // Message queues.
    {"rdkafka", kMessageQueue},
    {"lapin", kMessageQueue},
    {"async_nats", kMessageQueue, "async-nats"},
    {"nats", kMessageQueue},
    {"aws_sdk_sqs", kMessageQueue, "aws-sdk-sqs"},
    // Caches.
    {"redis", kCache, "redis", kRustRedisQueueCues},
    {"memcache", kCache},
    // Object storage.
    {"aws_sdk_s3", kObjectStorage, "aws-sdk-s3"},
    {"object_store", kObjectStorage},
    {"google_cloud_storage", kObjectStorage, "google-cloud-storage"},
    {"azure_storage_blobs", kObjectStorage},
    // Machine-learning models.
    {"tch", kMlModel},
    {"candle_core", kMlModel, "candle-core"},
    {"candle_nn", kMlModel, "candle-nn"},
    {"candle_transformers", kMlModel, "candle-transformers"},
    {"ort", kMlModel},
    {"tract_onnx", kMlModel, "tract-onnx"},
};

// --- C and C++ (matched by header path; library = the vcpkg/CMake package) ---

constexpr Cue kGrpcppCues[] = {
    {"ServerBuilder", kGrpcServer},
    {"::Service", kGrpcServer},
    {"CreateChannel", kGrpcClient},
    {"NewStub(", kGrpcClient},
};

constexpr Cue kHttplibCues[] = {
    {"httplib::Server", kHttpServer},
    {"httplib::SSLServer", kHttpServer},
    {"httplib::Client", kHttpClient},
    {"httplib::SSLClient", kHttpClient},
};

// Boost.Beast servers accept connections; clients resolve the host they connect to.
constexpr Cue kBeastCues[] = {
    {"acceptor", kHttpServer},
    {"resolver", kHttpClient},
};

// Drogon is a server framework that also ships a client.
constexpr Cue kDrogonCues[] = {{"HttpClient", kHttpClient}};

constexpr Cue kHiredisQueueCues[] = {
    {"\"PUBLISH", kMessageQueue},
    {"\"SUBSCRIBE", kMessageQueue},
    {"\"XADD", kMessageQueue},
};

constexpr Cue kRedisPlusPlusQueueCues[] = {
    {".publish(", kMessageQueue},
    {".subscriber(", kMessageQueue},
    {".xadd(", kMessageQueue},
};

constexpr LibraryRule kCRules[] = {
    // Databases.
    {"pqxx", kDatabase, "libpqxx"},
    {"libpq-fe.h", kDatabase, "libpq"},
    {"postgresql/libpq-fe.h", kDatabase, "libpq"},
    {"mysql.h", kDatabase, "libmysqlclient"},
    {"mysql", kDatabase, "libmysqlclient"},
    {"mysqlx", kDatabase, "mysql-connector-cpp"},
    {"cppconn", kDatabase, "mysql-connector-cpp"},
    {"mysql_driver.h", kDatabase, "mysql-connector-cpp"},
    {"sqlite3.h", kDatabase, "sqlite3"},
    {"SQLiteCpp", kDatabase, "SQLiteCpp"},
    {"soci", kDatabase, "soci"},
    {"sqlpp11", kDatabase, "sqlpp11"},
    {"mongocxx", kDatabase, "mongo-cxx-driver"},
    {"mongoc.h", kDatabase, "mongo-c-driver"},
    {"mongoc", kDatabase, "mongo-c-driver"},
    {"Poco/Data", kDatabase, "poco"},
    {"aws/dynamodb", kDatabase, "aws-sdk-cpp"},
    // HTTP clients.
    {"curl", kHttpClient, "libcurl"},
    {"cpr", kHttpClient, "cpr"},
    {"cpprest/http_client.h", kHttpClient, "cpprestsdk"},
    {"Poco/Net/HTTPClientSession.h", kHttpClient, "poco"},
    {"Poco/Net/HTTPSClientSession.h", kHttpClient, "poco"},
    // HTTP servers.
    {"crow.h", kHttpServer, "crow"},
    {"crow_all.h", kHttpServer, "crow"},
    {"crow", kHttpServer, "crow"},
    {.module = "drogon", .library = "drogon", .cues = kDrogonCues, .fallback = kHttpServer},
    {"pistache", kHttpServer, "pistache"},
    {"oatpp", kHttpServer, "oatpp"},
    {"restbed", kHttpServer, "restbed"},
    {"microhttpd.h", kHttpServer, "libmicrohttpd"},
    {"cpprest/http_listener.h", kHttpServer, "cpprestsdk"},
    {"Poco/Net/HTTPServer.h", kHttpServer, "poco"},
    {"Poco/Net/HTTPRequestHandler.h", kHttpServer, "poco"},
    {.module = "httplib.h", .library = "cpp-httplib", .cues = kHttplibCues},
    {.module = "boost/beast.hpp", .library = "boost-beast", .cues = kBeastCues},
    {.module = "boost/beast", .library = "boost-beast", .cues = kBeastCues},
    // gRPC; without a cue of either side, a caller (see the Python rule).
    {.module = "grpcpp", .library = "gRPC", .cues = kGrpcppCues, .fallback = kGrpcClient},
    {.module = "grpc++", .library = "gRPC", .cues = kGrpcppCues, .fallback = kGrpcClient},
    // Message queues.
    {"librdkafka", kMessageQueue, "librdkafka"},
    {"rdkafka.h", kMessageQueue, "librdkafka"},
    {"rdkafkacpp.h", kMessageQueue, "librdkafka"},
    {"cppkafka", kMessageQueue, "cppkafka"},
    {"amqp.h", kMessageQueue, "rabbitmq-c"},
    {"rabbitmq-c", kMessageQueue, "rabbitmq-c"},
    {"amqpcpp.h", kMessageQueue, "amqpcpp"},
    {"nats.h", kMessageQueue, "cnats"},
    {"nats/nats.h", kMessageQueue, "cnats"},
    {"aws/sqs", kMessageQueue, "aws-sdk-cpp"},
    // Caches.
    {"hiredis", kCache, "hiredis", kHiredisQueueCues},
    {"hiredis.h", kCache, "hiredis", kHiredisQueueCues},
    {"sw/redis++", kCache, "redis-plus-plus", kRedisPlusPlusQueueCues},
    {"libmemcached", kCache, "libmemcached"},
    // Object storage.
    {"aws/s3", kObjectStorage, "aws-sdk-cpp"},
    {"google/cloud/storage", kObjectStorage, "google-cloud-cpp"},
    {"miniocpp", kObjectStorage, "minio-cpp"},
    {"azure/storage/blobs", kObjectStorage, "azure-storage-blobs-cpp"},
    {"azure/storage/blobs.hpp", kObjectStorage, "azure-storage-blobs-cpp"},
    // Machine-learning models.
    {"torch", kMlModel, "libtorch"},
    {"onnxruntime_cxx_api.h", kMlModel, "onnxruntime"},
    {"onnxruntime_c_api.h", kMlModel, "onnxruntime"},
    {"onnxruntime", kMlModel, "onnxruntime"},
    {"tensorflow", kMlModel, "tensorflow"},
    {"NvInfer.h", kMlModel, "tensorrt"},
    {"openvino", kMlModel, "openvino"},
    {"opencv2/dnn.hpp", kMlModel, "opencv"},
    {"xgboost/c_api.h", kMlModel, "xgboost"},
    {"LightGBM/c_api.h", kMlModel, "lightgbm"},
};

enum class Family { kNone, kPython, kJavaScript, kGo, kJvm, kRust, kC };

Family FamilyOf(std::string_view language) {
  if (language == "python") return Family::kPython;
  if (language == "javascript" || language == "typescript") return Family::kJavaScript;
  if (language == "go") return Family::kGo;
  if (language == "java" || language == "kotlin") return Family::kJvm;
  if (language == "rust") return Family::kRust;
  if (language == "c" || language == "cpp") return Family::kC;
  return Family::kNone;
}

struct Catalogue {
  std::span<const LibraryRule> rules;
  std::string_view separator;  // between path segments of an import
  std::span<const ContentRule> content_rules = {};
};

Catalogue CatalogueOf(Family family) {
  switch (family) {
    case Family::kPython:
      return {kPythonRules, "."};
    case Family::kJavaScript:
      return {kJavaScriptRules, "/", kJavaScriptContentRules};
    case Family::kGo:
      return {kGoRules, "/"};
    case Family::kJvm:
      return {kJvmRules, "."};
    case Family::kRust:
      return {kRustRules, "::"};
    case Family::kC:
      return {kCRules, "/"};
    case Family::kNone:
      break;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// `module` is `name` or a parent of it, by whole segments.
bool IsUnder(std::string_view name, std::string_view module, std::string_view separator) {
  if (!name.starts_with(module)) return false;
  return name.size() == module.size() || name.substr(module.size()).starts_with(separator);
}

// The module names one import offers to the catalogue. Python's `from google.cloud import
// storage` and Rust's `use hyper::{server, Request}` name their module through the imported
// names too, so those are joined on. Relative and in-repository forms offer nothing the
// catalogue could match, and are dropped here so a local "./redis" never reads as Redis.
std::vector<std::string> Candidates(Family family, const Import& imp) {
  std::string target = imp.target;
  std::vector<std::string> out;
  switch (family) {
    case Family::kPython:
      if (imp.level > 0) return {};
      out.push_back(target);
      for (const std::string& n : imp.names) out.push_back(target + "." + n);
      return out;
    case Family::kJavaScript:
      if (target.starts_with(".") || target.starts_with("/")) return {};
      if (target.starts_with("node:")) target.erase(0, 5);
      return {target};
    case Family::kJvm:
      if (target.ends_with(".*")) target.resize(target.size() - 2);
      return {target};
    case Family::kRust:
      out.push_back(target);
      for (const std::string& n : imp.names) out.push_back(target + "::" + n);
      return out;
    case Family::kGo:
    case Family::kC:
      return {target};
    case Family::kNone:
      break;
  }
  return {};
}

// The rule naming the most specific module `name` is under: "aiohttp.web" before "aiohttp".
const LibraryRule* BestRule(const Catalogue& catalogue, std::string_view name) {
  const LibraryRule* best = nullptr;
  for (const LibraryRule& rule : catalogue.rules)
    if (IsUnder(name, rule.module, catalogue.separator) &&
        (best == nullptr || rule.module.size() > best->module.size()))
      best = &rule;
  return best;
}

// Go modules from v2 on carry their major version in the path; the manifest declares it too.
std::string GoModule(std::string_view module, std::string_view import_path) {
  std::string_view rest = import_path.substr(module.size());
  if (!rest.starts_with("/v") || rest.size() < 3) return std::string(module);
  size_t end = 2;
  while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
  if (end == 2 || (end < rest.size() && rest[end] != '/')) return std::string(module);
  return std::string(module) + std::string(rest.substr(0, end));
}

std::string LibraryName(Family family, const LibraryRule& rule, std::string_view name) {
  if (!rule.library.empty()) return std::string(rule.library);
  if (family == Family::kGo) return GoModule(rule.module, name);
  return std::string(rule.module);
}

std::string_view LineText(std::string_view content, uint32_t line) {
  size_t start = 0;
  for (uint32_t i = 1; i < line; ++i) {
    start = content.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  size_t end = content.find('\n', start);
  return content.substr(start, end == std::string_view::npos ? end : end - start);
}

uint32_t LineAt(std::string_view content, size_t offset) {
  return 1 + static_cast<uint32_t>(std::count(content.begin(), content.begin() + offset, '\n'));
}

// How the import reads in the source language, short enough for a listing.
std::string ImportEvidence(Family family, const Import& imp, std::string_view content) {
  auto joined = [&](std::string_view sep) {
    constexpr size_t kMaxNames = 3;
    std::string out;
    for (size_t i = 0; i < imp.names.size() && i < kMaxNames; ++i) {
      if (i > 0) out += sep;
      out += imp.names[i];
    }
    if (imp.names.size() > kMaxNames) out += std::string(sep) + "...";
    return out;
  };
  switch (family) {
    case Family::kPython:
      if (imp.names.empty()) return "import " + imp.target;
      return "from " + imp.target + " import " + joined(", ");
    case Family::kJavaScript: {
      // The import records no syntax; the line tells CommonJS from an ES module.
      std::string_view line = LineText(content, imp.line);
      if (line.find("require(") != std::string_view::npos) return "require(\"" + imp.target + "\")";
      if (line.find("import(") != std::string_view::npos) return "import(\"" + imp.target + "\")";
      return "import \"" + imp.target + "\"";
    }
    case Family::kGo:
      return "import \"" + imp.target + "\"";
    case Family::kJvm:
      return "import " + imp.target;
    case Family::kRust:
      if (imp.names.empty()) return "use " + imp.target;
      return "use " + imp.target + "::{" + joined(", ") + "}";
    case Family::kC:
      return imp.local_include ? "#include \"" + imp.target + "\""
                               : "#include <" + imp.target + ">";
    case Family::kNone:
      break;
  }
  return imp.target;
}

// The cue widened to the expression around it, so `Stub(` reads as
// `helloworld_pb2_grpc.GreeterStub(` and `ServeMux` as `http.NewServeMux`.
std::string CueEvidence(std::string_view content, size_t offset, std::string_view cue) {
  constexpr size_t kMaxWidening = 40;
  size_t begin = offset;
  while (begin > 0 && offset - begin < kMaxWidening &&
         (IsIdentifierChar(content[begin - 1]) || content[begin - 1] == '.'))
    --begin;
  size_t end = offset + cue.size();
  if (IsIdentifierChar(cue.back()))
    while (end < content.size() && end - offset - cue.size() < kMaxWidening &&
           IsIdentifierChar(content[end]))
      ++end;
  return std::string(content.substr(begin, end - begin));
}

// Offset of `text` in `content` where no identifier character runs into it from the left.
size_t FindAtWordStart(std::string_view content, std::string_view text) {
  for (size_t at = content.find(text); at != std::string_view::npos;
       at = content.find(text, at + 1))
    if (at == 0 || !IsIdentifierChar(content[at - 1])) return at;
  return std::string_view::npos;
}

// Collects uses, one per (kind, library), each keeping its earliest evidence.
class UseList {
 public:
  void Add(std::string_view kind, std::string library, std::string evidence, uint32_t line) {
    for (IntegrationUse& use : uses_) {
      if (use.kind != kind || use.library != library) continue;
      if (line < use.line) {
        use.evidence = std::move(evidence);
        use.line = line;
      }
      return;
    }
    uses_.push_back({std::string(kind), std::move(library), std::move(evidence), line});
  }

  bool HasKind(std::string_view kind) const {
    return std::any_of(uses_.begin(), uses_.end(),
                       [&](const IntegrationUse& u) { return u.kind == kind; });
  }

  std::vector<IntegrationUse> TakeInLineOrder() {
    std::stable_sort(
        uses_.begin(), uses_.end(),
        [](const IntegrationUse& a, const IntegrationUse& b) { return a.line < b.line; });
    return std::move(uses_);
  }

 private:
  std::vector<IntegrationUse> uses_;
};

void ApplyRule(Family family, const LibraryRule& rule, std::string_view name, const Import& imp,
               std::string_view content, UseList& uses) {
  std::string library = LibraryName(family, rule, name);
  if (!rule.kind.empty())
    uses.Add(rule.kind, library, ImportEvidence(family, imp, content), imp.line);
  bool any_cue = false;
  for (const Cue& cue : rule.cues) {
    size_t at = content.find(cue.text);
    if (at == std::string_view::npos) continue;
    any_cue = true;
    uses.Add(cue.kind, library, CueEvidence(content, at, cue.text), LineAt(content, at));
  }
  if (!rule.cues.empty() && !any_cue && !rule.fallback.empty())
    uses.Add(rule.fallback, library, ImportEvidence(family, imp, content), imp.line);
}

}  // namespace

std::vector<IntegrationUse> ClassifyFile(std::string_view language,
                                         const std::vector<Import>& imports,
                                         std::string_view content) {
  const Family family = FamilyOf(language);
  const Catalogue catalogue = CatalogueOf(family);
  UseList uses;
  for (const Import& imp : imports) {
    std::vector<const LibraryRule*> applied;  // one import may name a rule twice
    for (const std::string& name : Candidates(family, imp)) {
      const LibraryRule* rule = BestRule(catalogue, name);
      if (rule == nullptr || std::find(applied.begin(), applied.end(), rule) != applied.end())
        continue;
      applied.push_back(rule);
      ApplyRule(family, *rule, name, imp, content, uses);
    }
  }
  for (const ContentRule& rule : catalogue.content_rules) {
    if (uses.HasKind(rule.kind)) continue;
    size_t at = FindAtWordStart(content, rule.text);
    if (at != std::string_view::npos)
      uses.Add(rule.kind, std::string(rule.library), std::string(rule.text), LineAt(content, at));
  }
  return uses.TakeInLineOrder();
}

// ---------------------------------------------------------------------------------------------
// Words of a recommendation -> kinds
// ---------------------------------------------------------------------------------------------

namespace {

// How surely a word names its kind: a product name leaves no doubt, a technical term little,
// an everyday word ("table", "event", "model") only some.
enum class Strength { kBrand, kTechnical, kGeneric };

struct KindWord {
  std::string_view word;
  Strength strength;
  std::string_view kind;
  std::string_view second_kind = {};  // gRPC words name both sides
};

// Words arrive singularised by stripping a final "s", so brand names appear in that form too
// ("postgres" -> "postgre"). Deliberately absent: "store" and "repository" (every codebase
// has them), "object" (a JSON object is not object storage), "request" ("feature request").
// "webhook" is an outgoing notification (http-client); an endpoint receiving one is named
// by "endpoint".
constexpr KindWord kKindWords[] = {
    // Databases.
    {"postgres", Strength::kBrand, kDatabase},
    {"postgre", Strength::kBrand, kDatabase},
    {"postgresql", Strength::kBrand, kDatabase},
    {"mysql", Strength::kBrand, kDatabase},
    {"mariadb", Strength::kBrand, kDatabase},
    {"sqlite", Strength::kBrand, kDatabase},
    {"mongo", Strength::kBrand, kDatabase},
    {"mongodb", Strength::kBrand, kDatabase},
    {"dynamodb", Strength::kBrand, kDatabase},
    {"cassandra", Strength::kBrand, kDatabase},
    {"database", Strength::kTechnical, kDatabase},
    {"db", Strength::kTechnical, kDatabase},
    {"sql", Strength::kTechnical, kDatabase},
    {"nosql", Strength::kTechnical, kDatabase},
    {"orm", Strength::kTechnical, kDatabase},
    {"migration", Strength::kTechnical, kDatabase},
    {"persistence", Strength::kTechnical, kDatabase},
    {"table", Strength::kGeneric, kDatabase},
    {"column", Strength::kGeneric, kDatabase},
    {"query", Strength::kGeneric, kDatabase},
    {"schema", Strength::kGeneric, kDatabase},
    {"persist", Strength::kGeneric, kDatabase},
    // HTTP servers.
    {"endpoint", Strength::kTechnical, kHttpServer},
    {"api", Strength::kTechnical, kHttpServer},
    {"rest", Strength::kTechnical, kHttpServer},
    {"http", Strength::kTechnical, kHttpServer},
    {"graphql", Strength::kTechnical, kHttpServer},
    {"route", Strength::kGeneric, kHttpServer},
    {"handler", Strength::kGeneric, kHttpServer},
    {"server", Strength::kGeneric, kHttpServer},
    // HTTP clients.
    {"webhook", Strength::kTechnical, kHttpClient},
    {"fetch", Strength::kGeneric, kHttpClient},
    {"call", Strength::kGeneric, kHttpClient},
    {"client", Strength::kGeneric, kHttpClient},
    // gRPC.
    {"grpc", Strength::kBrand, kGrpcServer, kGrpcClient},
    {"protobuf", Strength::kBrand, kGrpcServer, kGrpcClient},
    {"rpc", Strength::kTechnical, kGrpcServer, kGrpcClient},
    // Message queues.
    {"kafka", Strength::kBrand, kMessageQueue},
    {"rabbitmq", Strength::kBrand, kMessageQueue},
    {"amqp", Strength::kBrand, kMessageQueue},
    {"nats", Strength::kBrand, kMessageQueue},
    {"sqs", Strength::kBrand, kMessageQueue},
    {"sns", Strength::kBrand, kMessageQueue},
    {"kinesis", Strength::kBrand, kMessageQueue},
    {"pubsub", Strength::kBrand, kMessageQueue},
    {"celery", Strength::kBrand, kMessageQueue},
    {"mqtt", Strength::kBrand, kMessageQueue},
    {"queue", Strength::kTechnical, kMessageQueue},
    {"topic", Strength::kTechnical, kMessageQueue},
    {"broker", Strength::kTechnical, kMessageQueue},
    {"consumer", Strength::kTechnical, kMessageQueue},
    {"producer", Strength::kTechnical, kMessageQueue},
    {"event", Strength::kGeneric, kMessageQueue},
    {"publish", Strength::kGeneric, kMessageQueue},
    {"subscribe", Strength::kGeneric, kMessageQueue},
    // Object storage.
    {"s3", Strength::kBrand, kObjectStorage},
    {"gcs", Strength::kBrand, kObjectStorage},
    {"minio", Strength::kBrand, kObjectStorage},
    {"bucket", Strength::kTechnical, kObjectStorage},
    {"blob", Strength::kTechnical, kObjectStorage},
    {"upload", Strength::kGeneric, kObjectStorage},
    // Machine-learning models.
    {"pytorch", Strength::kBrand, kMlModel},
    {"torch", Strength::kBrand, kMlModel},
    {"tensorflow", Strength::kBrand, kMlModel},
    {"keras", Strength::kBrand, kMlModel},
    {"sklearn", Strength::kBrand, kMlModel},
    {"onnx", Strength::kBrand, kMlModel},
    {"xgboost", Strength::kBrand, kMlModel},
    {"inference", Strength::kTechnical, kMlModel},
    {"embedding", Strength::kTechnical, kMlModel},
    {"classifier", Strength::kTechnical, kMlModel},
    {"ml", Strength::kTechnical, kMlModel},
    {"neural", Strength::kTechnical, kMlModel},
    {"llm", Strength::kTechnical, kMlModel},
    {"model", Strength::kGeneric, kMlModel},
    {"predict", Strength::kGeneric, kMlModel},
    {"prediction", Strength::kGeneric, kMlModel},
    {"train", Strength::kGeneric, kMlModel},
    {"training", Strength::kGeneric, kMlModel},
    {"forecast", Strength::kGeneric, kMlModel},
    // Caches.
    {"redis", Strength::kBrand, kCache},
    {"valkey", Strength::kBrand, kCache},
    {"memcached", Strength::kBrand, kCache},
    {"memcache", Strength::kBrand, kCache},
    {"cache", Strength::kTechnical, kCache},
    {"cached", Strength::kTechnical, kCache},
    {"caching", Strength::kTechnical, kCache},
    {"ttl", Strength::kTechnical, kCache},
};

const KindWord* FindKindWord(std::string_view word) {
  for (const KindWord& entry : kKindWords)
    if (entry.word == word) return &entry;
  return nullptr;
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::vector<KindCue> KindsForWords(const std::vector<std::string>& words) {
  std::vector<std::string> lower;
  lower.reserve(words.size());
  for (const std::string& w : words) lower.push_back(Lowercase(w));
  auto named = [&](std::string_view w) {
    return std::find(lower.begin(), lower.end(), w) != lower.end();
  };

  // "client" beside a gRPC word asks for the calling side of gRPC, not for an HTTP client.
  bool grpc_named = false;
  for (const std::string& w : lower)
    if (const KindWord* e = FindKindWord(w); e != nullptr && e->kind == kGrpcServer)
      grpc_named = true;
  const bool grpc_client_first = grpc_named && named("client");

  struct Ranked {
    KindCue cue;
    Strength strength;
    size_t position;  // of the word, then the kind's place among the word's kinds
  };
  std::vector<Ranked> ranked;
  auto offer = [&](std::string_view kind, const std::string& word, Strength strength,
                   size_t position) {
    for (Ranked& r : ranked) {
      if (r.cue.kind != kind) continue;
      // A stronger word replaces a weaker one; among equals the earliest stays.
      if (strength < r.strength) r = {{std::string(kind), word}, strength, position};
      return;
    }
    ranked.push_back({{std::string(kind), word}, strength, position});
  };
  for (size_t i = 0; i < lower.size(); ++i) {
    const KindWord* entry = FindKindWord(lower[i]);
    if (entry == nullptr) continue;
    if (grpc_client_first && lower[i] == "client") continue;
    std::string_view first = entry->kind, second = entry->second_kind;
    if (grpc_client_first && !second.empty()) std::swap(first, second);
    offer(first, lower[i], entry->strength, 2 * i);
    if (!second.empty()) offer(second, lower[i], entry->strength, 2 * i + 1);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.strength != b.strength) return a.strength < b.strength;
    return a.position < b.position;
  });
  std::vector<KindCue> out;
  out.reserve(ranked.size());
  for (Ranked& r : ranked) out.push_back(std::move(r.cue));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conventional libraries
// ---------------------------------------------------------------------------------------------

namespace {

// Both gRPC kinds come from one library.
constexpr std::string_view kGrpc = "grpc";

// Words that mean the same product, reduced to the one the pick table uses.
struct WordAlias {
  std::string_view word;
  std::string_view canonical;
};
constexpr WordAlias kWordAliases[] = {
    {"postgre", "postgres"},   {"postgresql", "postgres"}, {"pg", "postgres"},
    {"mongodb", "mongo"},      {"mariadb", "mysql"},       {"amqp", "rabbitmq"},
    {"memcache", "memcached"}, {"pytorch", "torch"},       {"neural", "torch"},
    {"deep", "torch"},         {"keras", "tensorflow"},
};

// A library a repository would add. `word` empty is the choice when no word refines it; a row
// with an empty `library` means the standard library covers it and nothing is added.
struct LibraryPick {
  std::string_view language;
  std::string_view kind;
  std::string_view word;
  std::string_view library;
};

// Choices where several were reasonable:
//  * Python sqlite: the standard library's sqlite3, so nothing to declare.
//  * JavaScript http-client: axios, although Node 18+ has fetch(); a declared client is what
//    most codebases use and what works on older runtimes too.
//  * Go and Java http-client: the standard library (net/http, java.net.http).
//  * Go http-server: net/http; Java/Kotlin http-server: Spring Boot's web starter, the
//    framework most JVM services are built on.
//  * Go sqlite: modernc.org/sqlite, which builds without cgo.
constexpr LibraryPick kLibraryPicks[] = {
    // Python.
    {"python", kDatabase, "", "sqlalchemy"},
    {"python", kDatabase, "postgres", "psycopg"},
    {"python", kDatabase, "mysql", "pymysql"},
    {"python", kDatabase, "sqlite", ""},
    {"python", kDatabase, "mongo", "pymongo"},
    {"python", kMessageQueue, "", "confluent-kafka"},
    {"python", kMessageQueue, "rabbitmq", "pika"},
    {"python", kMessageQueue, "nats", "nats-py"},
    {"python", kMessageQueue, "sqs", "boto3"},
    {"python", kMessageQueue, "pubsub", "google-cloud-pubsub"},
    {"python", kMessageQueue, "redis", "redis"},
    {"python", kMessageQueue, "celery", "celery"},
    {"python", kCache, "", "redis"},
    {"python", kCache, "memcached", "pymemcache"},
    {"python", kObjectStorage, "", "boto3"},
    {"python", kObjectStorage, "gcs", "google-cloud-storage"},
    {"python", kObjectStorage, "minio", "minio"},
    {"python", kObjectStorage, "azure", "azure-storage-blob"},
    {"python", kHttpClient, "", "requests"},
    {"python", kHttpServer, "", "fastapi"},
    {"python", kGrpc, "", "grpcio"},
    {"python", kMlModel, "", "scikit-learn"},
    {"python", kMlModel, "torch", "torch"},
    {"python", kMlModel, "tensorflow", "tensorflow"},
    {"python", kMlModel, "onnx", "onnxruntime"},
    {"python", kMlModel, "embedding", "sentence-transformers"},
    {"python", kMlModel, "llm", "transformers"},
    // JavaScript and TypeScript.
    {"javascript", kDatabase, "", "pg"},
    {"javascript", kDatabase, "mysql", "mysql2"},
    {"javascript", kDatabase, "sqlite", "better-sqlite3"},
    {"javascript", kDatabase, "mongo", "mongodb"},
    {"javascript", kMessageQueue, "", "kafkajs"},
    {"javascript", kMessageQueue, "rabbitmq", "amqplib"},
    {"javascript", kMessageQueue, "nats", "nats"},
    {"javascript", kMessageQueue, "sqs", "@aws-sdk/client-sqs"},
    {"javascript", kMessageQueue, "pubsub", "@google-cloud/pubsub"},
    {"javascript", kMessageQueue, "redis", "redis"},
    {"javascript", kCache, "", "redis"},
    {"javascript", kCache, "memcached", "memjs"},
    {"javascript", kObjectStorage, "", "@aws-sdk/client-s3"},
    {"javascript", kObjectStorage, "gcs", "@google-cloud/storage"},
    {"javascript", kObjectStorage, "minio", "minio"},
    {"javascript", kObjectStorage, "azure", "@azure/storage-blob"},
    {"javascript", kHttpClient, "", "axios"},
    {"javascript", kHttpServer, "", "express"},
    {"javascript", kGrpc, "", "@grpc/grpc-js"},
    {"javascript", kMlModel, "", "onnxruntime-node"},
    {"javascript", kMlModel, "tensorflow", "@tensorflow/tfjs-node"},
    // Go.
    {"go", kDatabase, "", "github.com/jackc/pgx/v5"},
    {"go", kDatabase, "mysql", "github.com/go-sql-driver/mysql"},
    {"go", kDatabase, "sqlite", "modernc.org/sqlite"},
    {"go", kDatabase, "mongo", "go.mongodb.org/mongo-driver/v2"},
    {"go", kMessageQueue, "", "github.com/segmentio/kafka-go"},
    {"go", kMessageQueue, "rabbitmq", "github.com/rabbitmq/amqp091-go"},
    {"go", kMessageQueue, "nats", "github.com/nats-io/nats.go"},
    {"go", kMessageQueue, "sqs", "github.com/aws/aws-sdk-go-v2/service/sqs"},
    {"go", kMessageQueue, "pubsub", "cloud.google.com/go/pubsub"},
    {"go", kMessageQueue, "redis", "github.com/redis/go-redis/v9"},
    {"go", kCache, "", "github.com/redis/go-redis/v9"},
    {"go", kCache, "memcached", "github.com/bradfitz/gomemcache"},
    {"go", kObjectStorage, "", "github.com/aws/aws-sdk-go-v2/service/s3"},
    {"go", kObjectStorage, "gcs", "cloud.google.com/go/storage"},
    {"go", kObjectStorage, "minio", "github.com/minio/minio-go/v7"},
    {"go", kObjectStorage, "azure", "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"},
    {"go", kHttpClient, "", ""},
    {"go", kHttpServer, "", ""},
    {"go", kGrpc, "", "google.golang.org/grpc"},
    // Java and Kotlin: Maven coordinates.
    {"java", kDatabase, "", "org.postgresql:postgresql"},
    {"java", kDatabase, "mysql", "com.mysql:mysql-connector-j"},
    {"java", kDatabase, "sqlite", "org.xerial:sqlite-jdbc"},
    {"java", kDatabase, "mongo", "org.mongodb:mongodb-driver-sync"},
    {"java", kMessageQueue, "", "org.apache.kafka:kafka-clients"},
    {"java", kMessageQueue, "rabbitmq", "com.rabbitmq:amqp-client"},
    {"java", kMessageQueue, "nats", "io.nats:jnats"},
    {"java", kMessageQueue, "sqs", "software.amazon.awssdk:sqs"},
    {"java", kMessageQueue, "pubsub", "com.google.cloud:google-cloud-pubsub"},
    {"java", kMessageQueue, "redis", "redis.clients:jedis"},
    {"java", kCache, "", "redis.clients:jedis"},
    {"java", kCache, "memcached", "net.spy:spymemcached"},
    {"java", kObjectStorage, "", "software.amazon.awssdk:s3"},
    {"java", kObjectStorage, "gcs", "com.google.cloud:google-cloud-storage"},
    {"java", kObjectStorage, "minio", "io.minio:minio"},
    {"java", kObjectStorage, "azure", "com.azure:azure-storage-blob"},
    {"java", kHttpClient, "", ""},
    {"java", kHttpServer, "", "org.springframework.boot:spring-boot-starter-web"},
    {"java", kGrpc, "", "io.grpc:grpc-netty-shaded"},
    {"java", kMlModel, "", "ai.djl:api"},
    {"java", kMlModel, "onnx", "com.microsoft.onnxruntime:onnxruntime"},
    // Rust: crates as Cargo.toml declares them.
    {"rust", kDatabase, "", "sqlx"},
    {"rust", kDatabase, "mongo", "mongodb"},
    {"rust", kMessageQueue, "", "rdkafka"},
    {"rust", kMessageQueue, "rabbitmq", "lapin"},
    {"rust", kMessageQueue, "nats", "async-nats"},
    {"rust", kMessageQueue, "sqs", "aws-sdk-sqs"},
    {"rust", kMessageQueue, "redis", "redis"},
    {"rust", kCache, "", "redis"},
    {"rust", kCache, "memcached", "memcache"},
    {"rust", kObjectStorage, "", "aws-sdk-s3"},
    {"rust", kObjectStorage, "gcs", "google-cloud-storage"},
    {"rust", kObjectStorage, "azure", "azure_storage_blobs"},
    {"rust", kHttpClient, "", "reqwest"},
    {"rust", kHttpServer, "", "axum"},
    {"rust", kGrpc, "", "tonic"},
    {"rust", kMlModel, "", "ort"},
    {"rust", kMlModel, "torch", "tch"},
    // C++: packages as vcpkg and CMake name them.
    {"cpp", kDatabase, "", "libpqxx"},
    {"cpp", kDatabase, "mysql", "mysql-connector-cpp"},
    {"cpp", kDatabase, "sqlite", "sqlite3"},
    {"cpp", kDatabase, "mongo", "mongo-cxx-driver"},
    {"cpp", kMessageQueue, "", "librdkafka"},
    {"cpp", kMessageQueue, "rabbitmq", "rabbitmq-c"},
    {"cpp", kMessageQueue, "nats", "cnats"},
    {"cpp", kMessageQueue, "redis", "hiredis"},
    {"cpp", kCache, "", "hiredis"},
    {"cpp", kCache, "memcached", "libmemcached"},
    {"cpp", kObjectStorage, "", "aws-sdk-cpp"},
    {"cpp", kObjectStorage, "gcs", "google-cloud-cpp"},
    {"cpp", kHttpClient, "", "libcurl"},
    {"cpp", kHttpServer, "", "cpp-httplib"},
    {"cpp", kGrpc, "", "gRPC"},
    {"cpp", kMlModel, "", "onnxruntime"},
    {"cpp", kMlModel, "torch", "libtorch"},
    // C: no conventional C client for object storage or gRPC.
    {"c", kDatabase, "", "libpq"},
    {"c", kDatabase, "mysql", "libmysqlclient"},
    {"c", kDatabase, "sqlite", "sqlite3"},
    {"c", kDatabase, "mongo", "mongo-c-driver"},
    {"c", kMessageQueue, "", "librdkafka"},
    {"c", kMessageQueue, "rabbitmq", "rabbitmq-c"},
    {"c", kMessageQueue, "nats", "cnats"},
    {"c", kMessageQueue, "redis", "hiredis"},
    {"c", kCache, "", "hiredis"},
    {"c", kCache, "memcached", "libmemcached"},
    {"c", kHttpClient, "", "libcurl"},
    {"c", kHttpServer, "", "libmicrohttpd"},
    {"c", kMlModel, "", "onnxruntime"},
};

// Languages sharing an ecosystem share its picks.
std::string_view PickLanguage(std::string_view language) {
  if (language == "typescript") return "javascript";
  if (language == "kotlin") return "java";
  return language;
}

std::string_view CanonicalWord(std::string_view word) {
  for (const WordAlias& alias : kWordAliases)
    if (alias.word == word) return alias.canonical;
  return word;
}

}  // namespace

std::string DefaultLibrary(std::string_view language, std::string_view kind,
                           std::string_view word) {
  const std::string_view pick_language = PickLanguage(language);
  const std::string_view pick_kind = kind == kGrpcServer || kind == kGrpcClient ? kGrpc : kind;
  const std::string lower = Lowercase(word);
  const std::string_view pick_word = CanonicalWord(lower);
  const LibraryPick* fallback = nullptr;
  for (const LibraryPick& pick : kLibraryPicks) {
    if (pick.language != pick_language || pick.kind != pick_kind) continue;
    if (!pick_word.empty() && pick.word == pick_word) return std::string(pick.library);
    if (pick.word.empty()) fallback = &pick;
  }
  return fallback == nullptr ? std::string() : std::string(fallback->library);
}

}  // namespace slipway::code
