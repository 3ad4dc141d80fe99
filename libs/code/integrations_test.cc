#include "libs/code/integrations.h"

#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace slipway::code {
namespace {

// Imports are written by hand: these tests are about the catalogue, not the import scanners.
Import Imp(std::string target, uint32_t line, std::vector<std::string> names = {}) {
  Import imp;
  imp.target = std::move(target);
  imp.line = line;
  imp.names = std::move(names);
  return imp;
}

Import RelativeImp(std::string target, uint32_t line, int level) {
  Import imp = Imp(std::move(target), line);
  imp.level = level;
  return imp;
}

Import LocalInclude(std::string target, uint32_t line) {
  Import imp = Imp(std::move(target), line);
  imp.local_include = true;
  return imp;
}

// "kind library line", one per use, in the order returned.
std::vector<std::string> Summary(const std::vector<IntegrationUse>& uses) {
  std::vector<std::string> out;
  for (const IntegrationUse& u : uses)
    out.push_back(u.kind + " " + u.library + " " + std::to_string(u.line));
  return out;
}

struct ClassifyCase {
  std::string name;
  std::string language;
  std::vector<Import> imports;
  std::string content;
  std::vector<std::string> want;
};

// Failure messages name the case instead of dumping its bytes.
void PrintTo(const ClassifyCase& c, std::ostream* os) { *os << c.language << "/" << c.name; }

class ClassifyFileTest : public testing::TestWithParam<ClassifyCase> {};

TEST_P(ClassifyFileTest, FindsTheIntegrations) {
  const ClassifyCase& c = GetParam();
  EXPECT_EQ(Summary(ClassifyFile(c.language, c.imports, c.content)), c.want) << c.content;
}

const ClassifyCase kPythonCases[] = {
    {"ImportsAlone",
     "python",
     {Imp("psycopg2", 1), Imp("flask", 2, {"Flask", "jsonify"}), Imp("requests", 3)},
     "import psycopg2\nfrom flask import Flask, jsonify\nimport requests\n",
     {"database psycopg2 1", "http-server flask 2", "http-client requests 3"}},
    {"GrpcServerByServicerAndServer",
     "python",
     {Imp("grpc", 1), Imp("concurrent", 2, {"futures"}), Imp("helloworld_pb2_grpc", 3)},
     "import grpc\nfrom concurrent import futures\nimport helloworld_pb2_grpc\n\n"
     "class Greeter(helloworld_pb2_grpc.GreeterServicer):\n    pass\n\n"
     "server = grpc.server(futures.ThreadPoolExecutor())\n"
     "helloworld_pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)\n",
     {"grpc-server grpcio 5"}},
    {"GrpcClientByChannel",
     "python",
     {Imp("grpc", 1), Imp("helloworld_pb2_grpc", 2)},
     "import grpc\nimport helloworld_pb2_grpc\n\n"
     "channel = grpc.insecure_channel(\"localhost:50051\")\n"
     "stub = helloworld_pb2_grpc.GreeterStub(channel)\n",
     {"grpc-client grpcio 4"}},
    {"GrpcWithoutCuesIsAClient",
     "python",
     {Imp("grpc", 1)},
     "import grpc\n\ndef retryable(err):\n    return err.code() == grpc.StatusCode.UNAVAILABLE\n",
     {"grpc-client grpcio 1"}},
    {"GeneratedGrpcModuleHasBothSides",
     "python",
     {Imp("grpc", 1)},
     "import grpc\n\nclass GreeterStub(object):\n    pass\n\n"
     "def add_GreeterServicer_to_server(servicer, server):\n    pass\n",
     {"grpc-client grpcio 3", "grpc-server grpcio 6"}},
    {"RedisIsACacheAndAQueueWhenItPublishes",
     "python",
     {Imp("redis.asyncio", 1)},
     "import redis.asyncio as redis\n\nr = redis.Redis()\nawait r.publish(\"alerts\", \"x\")\n",
     {"cache redis 1", "message-queue redis 4"}},
    {"RedisAsACacheOnly",
     "python",
     {Imp("redis", 1)},
     "import redis\n\ncache = redis.Redis()\ncache.set(\"k\", 1, ex=60)\n",
     {"cache redis 1"}},
    {"LookalikeAndInRepositoryModulesAreNothing",
     "python",
     {Imp("redistools", 1), Imp("app.db", 2), RelativeImp("redis", 3, 1), Imp("kafkaesque", 4)},
     "import redistools\nimport app.db\nfrom .redis import client\nimport kafkaesque\n",
     {}},
    {"NoImports", "python", {}, "print('redis kafka grpc.server(')\n", {}},
    {"Boto3ByService",
     "python",
     {Imp("boto3", 1)},
     "import boto3\n\ns3 = boto3.client(\"s3\")\nqueue = boto3.client('sqs')\n",
     {"object-storage boto3 3", "message-queue boto3 4"}},
    {"Boto3ForAnotherServiceIsNothing",
     "python",
     {Imp("boto3", 1)},
     "import boto3\n\nlam = boto3.client(\"lambda\")\n",
     {}},
    {"FromPackageImportModule",
     "python",
     {Imp("google.cloud", 1, {"storage"})},
     "from google.cloud import storage\n",
     {"object-storage google-cloud-storage 1"}},
    {"OneEntryPerLibrary",
     "python",
     {Imp("sqlalchemy", 1, {"create_engine"}), Imp("sqlalchemy.orm", 2, {"Session"}),
      Imp("sqlite3", 3)},
     "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import Session\n"
     "import sqlite3\n",
     {"database sqlalchemy 1", "database sqlite3 3"}},
    {"ModelLibraries",
     "python",
     {Imp("torch", 1), Imp("sklearn.ensemble", 2, {"RandomForestClassifier"}), Imp("joblib", 3)},
     "import torch\nfrom sklearn.ensemble import RandomForestClassifier\nimport joblib\n\n"
     "joblib.dump(stats, 'stats.pkl')\n",
     {"ml-model torch 1", "ml-model scikit-learn 2"}},
    {"JoblibLoadingAModel",
     "python",
     {Imp("joblib", 1)},
     "import joblib\n\nmodel = joblib.load('model.pkl')\n",
     {"ml-model joblib 3"}},
    {"DjangoByModule",
     "python",
     {Imp("django.db", 1, {"models"}), Imp("django.http", 2, {"JsonResponse"})},
     "from django.db import models\nfrom django.http import JsonResponse\n",
     {"database django 1", "http-server django 2"}},
    {"AiohttpBothSides",
     "python",
     {Imp("aiohttp", 1), Imp("aiohttp", 2, {"web"})},
     "import aiohttp\nfrom aiohttp import web\n\n"
     "async def fetch():\n    async with aiohttp.ClientSession() as s:\n        pass\n",
     {"http-server aiohttp 2", "http-client aiohttp 5"}},
    {"StandardLibraryHttpAndQueues",
     "python",
     {Imp("http.server", 1, {"HTTPServer"}), Imp("urllib.request", 2),
      Imp("celery", 3, {"Celery"})},
     "from http.server import HTTPServer\nimport urllib.request\nfrom celery import Celery\n",
     {"http-server http.server 1", "http-client urllib.request 2", "message-queue celery 3"}},
    {"OrderedByFirstEvidenceLine",
     "python",
     {Imp("redis", 1), Imp("psycopg2", 2), Imp("requests", 3)},
     "import redis\nimport psycopg2\nimport requests\n\nbus = redis.Redis()\n"
     "bus.xadd('stock', {'sku': 1})\n",
     {"cache redis 1", "database psycopg2 2", "http-client requests 3", "message-queue redis 6"}},
};

const ClassifyCase kJavaScriptCases[] = {
    {"ImportsAlone",
     "javascript",
     {Imp("express", 1), Imp("pg", 2), Imp("axios", 3)},
     "const express = require(\"express\");\nimport { Pool } from \"pg\";\n"
     "import axios from \"axios\";\n",
     {"http-server express 1", "database pg 2", "http-client axios 3"}},
    {"NodeHttpServer",
     "javascript",
     {Imp("node:http", 1)},
     "import http from \"node:http\";\nhttp.createServer((req, res) => {}).listen(0);\n",
     {"http-server http 2"}},
    {"NodeHttpsClient",
     "javascript",
     {Imp("https", 1)},
     "const https = require(\"https\");\nhttps.get(\"https://example.com\", onResponse);\n",
     {"http-client https 2"}},
    {"NodeHttpTypesOnlyIsNothing",
     "typescript",
     {Imp("http", 1)},
     "import { IncomingMessage } from \"http\";\nexport type Req = IncomingMessage;\n",
     {}},
    {"GlobalFetch",
     "typescript",
     {},
     "export async function load() {\n  return fetch(\"/api/items\");\n}\n",
     {"http-client fetch 2"}},
    {"FetchInsideAnotherWordIsNothing", "javascript", {}, "router.prefetch(\"/home\");\n", {}},
    {"ImportedClientTakesPrecedenceOverFetch",
     "javascript",
     {Imp("node-fetch", 1)},
     "import fetch from \"node-fetch\";\nconst r = await fetch(url);\n",
     {"http-client node-fetch 1"}},
    {"GrpcServer",
     "javascript",
     {Imp("@grpc/grpc-js", 1)},
     "const grpc = require(\"@grpc/grpc-js\");\nconst server = new grpc.Server();\n"
     "server.addService(svc, impl);\n",
     {"grpc-server @grpc/grpc-js 2"}},
    {"GrpcClient",
     "typescript",
     {Imp("@grpc/grpc-js", 1)},
     "import * as grpc from \"@grpc/grpc-js\";\n"
     "const client = new Greeter(addr, grpc.credentials.createInsecure());\n",
     {"grpc-client @grpc/grpc-js 2"}},
    {"RelativeAndLookalikePackagesAreNothing",
     "javascript",
     {Imp("./redis", 1), Imp("../db/pg", 2), Imp("redis-mock", 3), Imp("@/lib/kafka", 4)},
     "import r from \"./redis\";\nimport db from \"../db/pg\";\nimport m from \"redis-mock\";\n"
     "import k from \"@/lib/kafka\";\n",
     {}},
    {"QueuesStorageModelsAndSubpaths",
     "typescript",
     {Imp("kafkajs", 1), Imp("@aws-sdk/client-s3", 2), Imp("@tensorflow/tfjs-node", 3),
      Imp("ioredis", 4), Imp("mongoose/lib/types", 5)},
     "import { Kafka } from \"kafkajs\";\nimport { S3Client } from \"@aws-sdk/client-s3\";\n"
     "import * as tf from \"@tensorflow/tfjs-node\";\nimport Redis from \"ioredis\";\n"
     "import { Types } from \"mongoose/lib/types\";\n",
     {"message-queue kafkajs 1", "object-storage @aws-sdk/client-s3 2",
      "ml-model @tensorflow/tfjs-node 3", "cache ioredis 4", "database mongoose 5"}},
    {"NestProvidersAreNotServers",
     "typescript",
     {Imp("@nestjs/common", 1)},
     "import { Injectable } from \"@nestjs/common\";\n@Injectable()\nexport class Stock {}\n",
     {}},
    {"NestControllersServe",
     "typescript",
     {Imp("@nestjs/common", 1)},
     "import { Controller, Get } from \"@nestjs/common\";\n@Controller(\"stock\")\n"
     "export class StockController {}\n",
     {"http-server @nestjs/common 2"}},
};

const ClassifyCase kGoCases[] = {
    {"ImportsAloneWithModuleVersions",
     "go",
     {Imp("database/sql", 3), Imp("github.com/jackc/pgx/v5/pgxpool", 4),
      Imp("github.com/gin-gonic/gin", 5)},
     "package store\n\nimport (\n\t\"database/sql\"\n\t\"github.com/jackc/pgx/v5/pgxpool\"\n"
     "\t\"github.com/gin-gonic/gin\"\n)\n",
     {"database database/sql 3", "database github.com/jackc/pgx/v5 4",
      "http-server github.com/gin-gonic/gin 5"}},
    {"NetHttpBothSides",
     "go",
     {Imp("net/http", 3)},
     "package main\n\nimport \"net/http\"\n\nfunc main() {\n"
     "\thttp.HandleFunc(\"/\", handler)\n\tresp, _ := http.Get(\"https://example.com\")\n}\n",
     {"http-server net/http 6", "http-client net/http 7"}},
    {"NetHttpStatusCodesOnlyIsNothing",
     "go",
     {Imp("net/http", 3)},
     "package errs\n\nimport \"net/http\"\n\nvar Missing = http.StatusNotFound\n",
     {}},
    {"GrpcServer",
     "go",
     {Imp("google.golang.org/grpc", 3)},
     "package main\n\nimport \"google.golang.org/grpc\"\n\nfunc main() {\n"
     "\ts := grpc.NewServer()\n}\n",
     {"grpc-server google.golang.org/grpc 6"}},
    {"GrpcClient",
     "go",
     {Imp("google.golang.org/grpc", 3), Imp("google.golang.org/grpc/credentials/insecure", 4)},
     "package main\n\nimport \"google.golang.org/grpc\"\n"
     "import \"google.golang.org/grpc/credentials/insecure\"\n\n"
     "func dial() {\n\tconn, _ := grpc.NewClient(addr)\n}\n",
     {"grpc-client google.golang.org/grpc 7"}},
    {"QueuesCachesStorage",
     "go",
     {Imp("github.com/segmentio/kafka-go", 4), Imp("github.com/redis/go-redis/v9", 5),
      Imp("github.com/aws/aws-sdk-go-v2/service/s3", 6), Imp("example.com/shop/db", 7)},
     "package events\n\nimport (\n\t\"github.com/segmentio/kafka-go\"\n"
     "\t\"github.com/redis/go-redis/v9\"\n\t\"github.com/aws/aws-sdk-go-v2/service/s3\"\n"
     "\t\"example.com/shop/db\"\n)\n",
     {"message-queue github.com/segmentio/kafka-go 4", "cache github.com/redis/go-redis/v9 5",
      "object-storage github.com/aws/aws-sdk-go-v2/service/s3 6"}},
    {"PrefixesMatchWholeSegments",
     "go",
     {Imp("github.com/jackc/pgxutil", 3), Imp("net/httpx", 4)},
     "package x\n\nimport \"github.com/jackc/pgxutil\"\nimport \"net/httpx\"\n"
     "func f() { httpx.ListenAndServe() }\n",
     {}},
};

const ClassifyCase kJvmCases[] = {
    {"SpringServiceWithJdbcAndKafka",
     "java",
     {Imp("java.sql.Connection", 3),
      Imp("org.springframework.web.bind.annotation.RestController", 4),
      Imp("org.springframework.kafka.core.KafkaTemplate", 5)},
     "package shop;\n\nimport java.sql.Connection;\n"
     "import org.springframework.web.bind.annotation.RestController;\n"
     "import org.springframework.kafka.core.KafkaTemplate;\n",
     {"database java.sql 3", "http-server org.springframework:spring-web 4",
      "message-queue org.springframework.kafka:spring-kafka 5"}},
    {"GrpcServer",
     "java",
     {Imp("io.grpc.Server", 3), Imp("io.grpc.ServerBuilder", 4)},
     "package shop;\n\nimport io.grpc.Server;\nimport io.grpc.ServerBuilder;\n\n"
     "class Main { Server s = ServerBuilder.forPort(0).build(); }\n",
     {"grpc-server io.grpc:grpc-api 4"}},
    {"GrpcClient",
     "java",
     {Imp("io.grpc.ManagedChannel", 3)},
     "package shop;\n\nimport io.grpc.ManagedChannel;\n",
     {"grpc-client io.grpc:grpc-api 3"}},
    {"WildcardsStorageAndClients",
     "java",
     {Imp("jakarta.persistence.*", 3), Imp("software.amazon.awssdk.services.s3.S3Client", 4),
      Imp("java.net.http.HttpClient", 5), Imp("com.example.db.Repo", 6)},
     "package shop;\n\nimport jakarta.persistence.*;\n"
     "import software.amazon.awssdk.services.s3.S3Client;\nimport java.net.http.HttpClient;\n"
     "import com.example.db.Repo;\n",
     {"database jakarta.persistence:jakarta.persistence-api 3",
      "object-storage software.amazon.awssdk:s3 4", "http-client java.net.http 5"}},
    {"KotlinKtorBothSides",
     "kotlin",
     {Imp("io.ktor.server.application.*", 3), Imp("io.ktor.client.HttpClient", 4)},
     "package shop\n\nimport io.ktor.server.application.*\nimport io.ktor.client.HttpClient\n",
     {"http-server io.ktor:ktor-server-core 3", "http-client io.ktor:ktor-client-core 4"}},
};

const ClassifyCase kRustCases[] = {
    {"CratesAlone",
     "rust",
     {Imp("sqlx::postgres::PgPool", 1), Imp("reqwest", 2), Imp("axum", 3, {"Router", "routing"})},
     "use sqlx::postgres::PgPool;\nuse reqwest;\nuse axum::{Router, routing};\n",
     {"database sqlx 1", "http-client reqwest 2", "http-server axum 3"}},
    {"TonicServer",
     "rust",
     {Imp("tonic::transport::Server", 1)},
     "use tonic::transport::Server;\n\nasync fn run() {\n"
     "    Server::builder().add_service(svc).serve(addr).await;\n}\n",
     {"grpc-server tonic 1"}},
    {"TonicClient",
     "rust",
     {Imp("tonic::transport::Channel", 1)},
     "use tonic::transport::Channel;\n",
     {"grpc-client tonic 1"}},
    {"QueuesCachesStorageAndOwnModules",
     "rust",
     {Imp("rdkafka::producer::FutureProducer", 1), Imp("redis::Commands", 2),
      Imp("aws_sdk_s3", 3, {"Client"}), Imp("crate::db", 4, {"Pool"}), Imp("self::redis", 5)},
     "use rdkafka::producer::FutureProducer;\nuse redis::Commands;\nuse aws_sdk_s3::{Client};\n"
     "use crate::db::{Pool};\nmod redis;\n",
     {"message-queue rdkafka 1", "cache redis 2", "object-storage aws-sdk-s3 3"}},
};

const ClassifyCase kCCases[] = {
    {"HeadersAndHttplibServer",
     "cpp",
     {Imp("pqxx/pqxx", 1), Imp("curl/curl.h", 2), LocalInclude("httplib.h", 3)},
     "#include <pqxx/pqxx>\n#include <curl/curl.h>\n#include \"httplib.h\"\n\n"
     "int main() { httplib::Server svr; }\n",
     {"database libpqxx 1", "http-client libcurl 2", "http-server cpp-httplib 5"}},
    {"GrpcServer",
     "cpp",
     {Imp("grpcpp/grpcpp.h", 1)},
     "#include <grpcpp/grpcpp.h>\n\nvoid Run() {\n  grpc::ServerBuilder builder;\n}\n",
     {"grpc-server gRPC 4"}},
    {"GrpcClient",
     "cpp",
     {Imp("grpcpp/grpcpp.h", 1)},
     "#include <grpcpp/grpcpp.h>\n\nauto ch = grpc::CreateChannel(addr, creds);\n",
     {"grpc-client gRPC 3"}},
    {"QueuesCachesStorageModels",
     "cpp",
     {Imp("librdkafka/rdkafkacpp.h", 1), Imp("hiredis/hiredis.h", 2), Imp("aws/s3/S3Client.h", 3),
      Imp("torch/torch.h", 4), LocalInclude("db/conn.h", 5)},
     "#include <librdkafka/rdkafkacpp.h>\n#include <hiredis/hiredis.h>\n"
     "#include <aws/s3/S3Client.h>\n#include <torch/torch.h>\n#include \"db/conn.h\"\n",
     {"message-queue librdkafka 1", "cache hiredis 2", "object-storage aws-sdk-cpp 3",
      "ml-model libtorch 4"}},
    {"CDatabases",
     "c",
     {Imp("libpq-fe.h", 1), Imp("sqlite3.h", 2), Imp("stdio.h", 3)},
     "#include <libpq-fe.h>\n#include <sqlite3.h>\n#include <stdio.h>\n",
     {"database libpq 1", "database sqlite3 2"}},
};

std::string CaseName(const testing::TestParamInfo<ClassifyCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Python, ClassifyFileTest, testing::ValuesIn(kPythonCases), CaseName);
INSTANTIATE_TEST_SUITE_P(JavaScript, ClassifyFileTest, testing::ValuesIn(kJavaScriptCases),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Go, ClassifyFileTest, testing::ValuesIn(kGoCases), CaseName);
INSTANTIATE_TEST_SUITE_P(JavaKotlin, ClassifyFileTest, testing::ValuesIn(kJvmCases), CaseName);
INSTANTIATE_TEST_SUITE_P(Rust, ClassifyFileTest, testing::ValuesIn(kRustCases), CaseName);
INSTANTIATE_TEST_SUITE_P(CAndCpp, ClassifyFileTest, testing::ValuesIn(kCCases), CaseName);

TEST(ClassifyFile, OtherLanguagesHaveNoCatalogue) {
  EXPECT_TRUE(ClassifyFile("ruby", {Imp("redis", 1)}, "require 'redis'\n").empty());
  EXPECT_TRUE(ClassifyFile("", {Imp("psycopg2", 1)}, "import psycopg2\n").empty());
}

TEST(ClassifyFile, EvidenceReadsLikeTheSource) {
  auto one = [](std::string_view language, std::vector<Import> imports, std::string_view content) {
    auto uses = ClassifyFile(language, imports, content);
    return uses.empty() ? IntegrationUse{} : uses.front();
  };
  EXPECT_EQ(
      one("python", {Imp("flask", 1, {"Flask", "jsonify"})}, "from flask import Flask, jsonify\n"),
      (IntegrationUse{"http-server", "flask", "from flask import Flask, jsonify", 1}));
  EXPECT_EQ(one("python", {Imp("psycopg2", 2)}, "\nimport psycopg2\n").evidence, "import psycopg2");
  EXPECT_EQ(one("javascript", {Imp("pg", 1)}, "const { Pool } = require('pg');\n").evidence,
            "require(\"pg\")");
  EXPECT_EQ(one("typescript", {Imp("pg", 1)}, "import { Pool } from \"pg\";\n").evidence,
            "import \"pg\"");
  EXPECT_EQ(one("go", {Imp("gorm.io/gorm", 1)}, "import \"gorm.io/gorm\"\n").evidence,
            "import \"gorm.io/gorm\"");
  EXPECT_EQ(one("java", {Imp("java.sql.Connection", 1)}, "import java.sql.Connection;\n").evidence,
            "import java.sql.Connection");
  EXPECT_EQ(
      one("rust", {Imp("sqlx::postgres::PgPool", 1)}, "use sqlx::postgres::PgPool;\n").evidence,
      "use sqlx::postgres::PgPool");
  EXPECT_EQ(one("cpp", {Imp("pqxx/pqxx", 1)}, "#include <pqxx/pqxx>\n").evidence,
            "#include <pqxx/pqxx>");
  EXPECT_EQ(one("cpp", {LocalInclude("crow.h", 1)}, "#include \"crow.h\"\n").evidence,
            "#include \"crow.h\"");
  // A cue is shown with the expression it sits in.
  EXPECT_EQ(one("go", {Imp("google.golang.org/grpc", 1)},
                "import \"google.golang.org/grpc\"\nvar s = grpc.NewServer()\n"),
            (IntegrationUse{"grpc-server", "google.golang.org/grpc", "grpc.NewServer(", 2}));
  EXPECT_EQ(
      one("python", {Imp("grpc", 1)}, "import grpc\nstub = helloworld_pb2_grpc.GreeterStub(ch)\n")
          .evidence,
      "helloworld_pb2_grpc.GreeterStub(");
  EXPECT_EQ(
      one("go", {Imp("net/http", 1)}, "import \"net/http\"\nmux := http.NewServeMux()\n").evidence,
      "http.NewServeMux");
}

TEST(ClassifyFile, EarliestEvidenceWinsForALibrary) {
  // The cue on line 2 is earlier than the second import of the same library on line 3.
  auto uses = ClassifyFile("python", {Imp("redis", 1), Imp("redis.asyncio", 3)},
                           "import redis\nr.publish('a', 1)\nimport redis.asyncio\n"
                           "r.subscribe('a')\n");
  EXPECT_EQ(Summary(uses), (std::vector<std::string>{"cache redis 1", "message-queue redis 2"}));
  EXPECT_EQ(uses[1].evidence, "r.publish(");
}

// --- KindsForWords ---

std::vector<std::string> Kinds(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const KindCue& c : KindsForWords(words)) out.push_back(c.kind + "/" + c.word);
  return out;
}

TEST(KindsForWords, BrandNamesComeBeforeGenericWords) {
  EXPECT_EQ(Kinds({"send", "alert", "stock", "table", "kafka"}),
            (std::vector<std::string>{"message-queue/kafka", "database/table"}));
  EXPECT_EQ(Kinds({"event", "postgre"}),
            (std::vector<std::string>{"database/postgre", "message-queue/event"}));
  EXPECT_EQ(Kinds({"upload", "model", "redis", "s3"}),
            (std::vector<std::string>{"cache/redis", "object-storage/s3", "ml-model/model"}));
}

TEST(KindsForWords, OneEntryPerKindNamedByItsStrongestWord) {
  EXPECT_EQ(Kinds({"table", "postgres", "query"}), (std::vector<std::string>{"database/postgres"}));
  EXPECT_EQ(Kinds({"kafka", "queue", "topic", "event"}),
            (std::vector<std::string>{"message-queue/kafka"}));
  EXPECT_EQ(Kinds({"fetch", "client"}), (std::vector<std::string>{"http-client/fetch"}));
}

TEST(KindsForWords, EqualStrengthKeepsTheOrderOfTheWords) {
  EXPECT_EQ(Kinds({"webhook", "endpoint"}),
            (std::vector<std::string>{"http-client/webhook", "http-server/endpoint"}));
  EXPECT_EQ(
      Kinds({"cache", "inference", "bucket"}),
      (std::vector<std::string>{"cache/cache", "ml-model/inference", "object-storage/bucket"}));
}

TEST(KindsForWords, GrpcNamesBothSidesServerFirstUnlessAClientIsAsked) {
  EXPECT_EQ(Kinds({"grpc", "service"}),
            (std::vector<std::string>{"grpc-server/grpc", "grpc-client/grpc"}));
  EXPECT_EQ(Kinds({"rpc"}), (std::vector<std::string>{"grpc-server/rpc", "grpc-client/rpc"}));
  EXPECT_EQ(Kinds({"grpc", "client"}),
            (std::vector<std::string>{"grpc-client/grpc", "grpc-server/grpc"}));
}

TEST(KindsForWords, UnknownWordsNameNothing) {
  EXPECT_TRUE(KindsForWords({}).empty());
  EXPECT_TRUE(KindsForWords({"stock", "threshold", "store", "object", "repository"}).empty());
  EXPECT_EQ(Kinds({"Kafka"}), (std::vector<std::string>{"message-queue/kafka"}));
}

// --- DefaultLibrary ---

struct PickCase {
  std::string language;
  std::string_view kind;
  std::string word;
  std::string want;
};

TEST(DefaultLibrary, ConventionalPicksPerLanguage) {
  const PickCase cases[] = {
      {"python", kDatabase, "", "sqlalchemy"},
      {"python", kDatabase, "postgres", "psycopg"},
      {"python", kDatabase, "postgre", "psycopg"},
      {"python", kDatabase, "mysql", "pymysql"},
      {"python", kDatabase, "sqlite", ""},
      {"python", kDatabase, "mongodb", "pymongo"},
      {"python", kDatabase, "table", "sqlalchemy"},
      {"python", kMessageQueue, "", "confluent-kafka"},
      {"python", kMessageQueue, "kafka", "confluent-kafka"},
      {"python", kMessageQueue, "rabbitmq", "pika"},
      {"python", kMessageQueue, "amqp", "pika"},
      {"python", kMessageQueue, "nats", "nats-py"},
      {"python", kCache, "redis", "redis"},
      {"python", kObjectStorage, "s3", "boto3"},
      {"python", kObjectStorage, "gcs", "google-cloud-storage"},
      {"python", kHttpClient, "", "requests"},
      {"python", kHttpServer, "endpoint", "fastapi"},
      {"python", kGrpcServer, "", "grpcio"},
      {"python", kGrpcClient, "grpc", "grpcio"},
      {"python", kMlModel, "", "scikit-learn"},
      {"python", kMlModel, "neural", "torch"},
      {"javascript", kDatabase, "", "pg"},
      {"javascript", kDatabase, "mysql", "mysql2"},
      {"typescript", kDatabase, "mongo", "mongodb"},
      {"typescript", kHttpClient, "", "axios"},
      {"typescript", kHttpServer, "", "express"},
      {"javascript", kMessageQueue, "", "kafkajs"},
      {"javascript", kMessageQueue, "rabbitmq", "amqplib"},
      {"javascript", kCache, "", "redis"},
      {"javascript", kObjectStorage, "bucket", "@aws-sdk/client-s3"},
      {"javascript", kGrpcServer, "", "@grpc/grpc-js"},
      {"javascript", kMlModel, "", "onnxruntime-node"},
      {"go", kDatabase, "", "github.com/jackc/pgx/v5"},
      {"go", kDatabase, "mysql", "github.com/go-sql-driver/mysql"},
      {"go", kMessageQueue, "kafka", "github.com/segmentio/kafka-go"},
      {"go", kMessageQueue, "rabbitmq", "github.com/rabbitmq/amqp091-go"},
      {"go", kCache, "", "github.com/redis/go-redis/v9"},
      {"go", kObjectStorage, "s3", "github.com/aws/aws-sdk-go-v2/service/s3"},
      {"go", kHttpClient, "", ""},
      {"go", kHttpServer, "", ""},
      {"go", kGrpcClient, "", "google.golang.org/grpc"},
      {"java", kDatabase, "postgres", "org.postgresql:postgresql"},
      {"java", kMessageQueue, "", "org.apache.kafka:kafka-clients"},
      {"kotlin", kCache, "redis", "redis.clients:jedis"},
      {"java", kObjectStorage, "", "software.amazon.awssdk:s3"},
      {"java", kGrpcServer, "", "io.grpc:grpc-netty-shaded"},
      {"java", kHttpClient, "", ""},
      {"kotlin", kHttpServer, "", "org.springframework.boot:spring-boot-starter-web"},
      {"rust", kDatabase, "", "sqlx"},
      {"rust", kMessageQueue, "", "rdkafka"},
      {"rust", kMessageQueue, "rabbitmq", "lapin"},
      {"rust", kCache, "", "redis"},
      {"rust", kObjectStorage, "", "aws-sdk-s3"},
      {"rust", kHttpClient, "", "reqwest"},
      {"rust", kHttpServer, "", "axum"},
      {"rust", kGrpcServer, "", "tonic"},
      {"cpp", kDatabase, "", "libpqxx"},
      {"cpp", kMessageQueue, "kafka", "librdkafka"},
      {"cpp", kCache, "", "hiredis"},
      {"cpp", kHttpClient, "", "libcurl"},
      {"cpp", kHttpServer, "", "cpp-httplib"},
      {"cpp", kGrpcServer, "", "gRPC"},
      {"cpp", kObjectStorage, "", "aws-sdk-cpp"},
      {"c", kDatabase, "", "libpq"},
      {"c", kHttpClient, "", "libcurl"},
  };
  for (const PickCase& c : cases)
    EXPECT_EQ(DefaultLibrary(c.language, c.kind, c.word), c.want)
        << c.language << " " << c.kind << " " << c.word;
}

TEST(DefaultLibrary, EmptyWhenNothingIsConventional) {
  EXPECT_EQ(DefaultLibrary("c", kObjectStorage, "s3"), "");
  EXPECT_EQ(DefaultLibrary("c", kGrpcServer, ""), "");
  EXPECT_EQ(DefaultLibrary("go", kMlModel, ""), "");
  EXPECT_EQ(DefaultLibrary("ruby", kDatabase, "postgres"), "");
  EXPECT_EQ(DefaultLibrary("python", "teleport", ""), "");
}

}  // namespace
}  // namespace slipway::code
